// The Keras quickstart network: Flatten(28x28) -> Dense(128, ReLU) -> Dropout(0.2) -> Dense(10) logits.
// All parameters live in one flat buffer and all gradients in another, with named views.

import { Dense } from './dense.ts';
import { Dropout } from './dropout.ts';
import { SoftmaxCrossEntropy } from './loss.ts';
import { glorotUniform } from '../tensor/init.ts';
import { makeRng } from '../tensor/rng.ts';
import { type Alloc, float32 } from './alloc.ts';

export interface ModelShape {
  inputs: number; // 784 pixels
  hidden: number; // 128
  classes: number; // 10
  dropoutRate: number; // 0.2
}

export const MNIST_MODEL: ModelShape = { inputs: 784, hidden: 128, classes: 10, dropoutRate: 0.2 };

// Separate generator streams from one seed, so init, shuffling and dropout never disturb each other.
export const RNG_STREAM = { init: 0, dropout: 1, shuffle: 2 } as const;

export class Model {
  readonly params: Float32Array; // [W1 (IN,H), b1 (H), W2 (H,C), b2 (C)]
  readonly grads: Float32Array; // same layout: [dW1, db1, dW2, db2]
  readonly W1: Float32Array; readonly b1: Float32Array; readonly W2: Float32Array; readonly b2: Float32Array;
  readonly dW1: Float32Array; readonly db1: Float32Array; readonly dW2: Float32Array; readonly db2: Float32Array;
  readonly dense1: Dense;
  readonly dropout: Dropout;
  readonly dense2: Dense;
  readonly loss: SoftmaxCrossEntropy;

  readonly shape: ModelShape;
  readonly maxBatch: number;

  // alloc makes every buffer; tests pass a float64 one for exact finite differences.
  constructor(shape: ModelShape, maxBatch: number, seed: number, alloc: Alloc = float32) {
    this.shape = shape;
    this.maxBatch = maxBatch;
    const { inputs: IN, hidden: H, classes: C } = shape;
    const sizes = [IN * H, H, H * C, C];
    const total = sizes.reduce((a, b) => a + b, 0);
    this.params = alloc(total);
    this.grads = alloc(total);
    const views = (buf: Float32Array): Float32Array[] => {
      let offset = 0;
      return sizes.map((n) => buf.subarray(offset, (offset += n)));
    };
    [this.W1, this.b1, this.W2, this.b2] = views(this.params);
    [this.dW1, this.db1, this.dW2, this.db2] = views(this.grads);

    const initRng = makeRng(seed, RNG_STREAM.init);
    glorotUniform(this.W1, IN, H, initRng);
    glorotUniform(this.W2, H, C, initRng); // biases stay zero, as in Keras

    this.dense1 = new Dense(IN, H, 'relu', this.W1, this.b1, this.dW1, this.db1, maxBatch, alloc);
    this.dropout = new Dropout(H, shape.dropoutRate, makeRng(seed, RNG_STREAM.dropout), maxBatch, alloc);
    this.dense2 = new Dense(H, C, 'linear', this.W2, this.b2, this.dW2, this.db2, maxBatch, alloc);
    this.loss = new SoftmaxCrossEntropy(C, maxBatch, alloc);
  }

  // x is (B,IN) pixels in [0,1], labels is (B). Returns the summed loss over the batch;
  // this.loss.result.correct holds how many were classified right.
  forward(x: Float32Array, labels: Uint8Array, B: number, training: boolean): number {
    this.dense1.forward(x, B);
    this.dropout.forward(this.dense1.out, B, training);
    this.dense2.forward(this.dropout.out, B);
    return this.loss.forward(this.dense2.out, labels, B);
  }

  // Gradients of the batch-mean loss, accumulated into this.grads; call zeroGrad first.
  backward(x: Float32Array, labels: Uint8Array, B: number): void {
    this.loss.backward(this.dense2.dout, labels, B);
    this.dropout.dout.fill(0, 0, B * this.shape.hidden);
    this.dense2.backward(this.dropout.dout, this.dropout.out, B);
    this.dense1.dout.fill(0, 0, B * this.shape.hidden);
    this.dropout.backward(this.dense1.dout, B);
    this.dense1.backward(null, x, B); // the data's own gradient is never needed
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}
