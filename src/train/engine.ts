// The engine: what the training loop needs from a backend. The CPU engine here runs the model
// in this thread; other backends (worker threads, gpu.js) implement the same interface.

import { Model, MNIST_MODEL, type ModelShape } from '../nn/model.ts';
import { Adam, KERAS_ADAM } from '../nn/optimizer.ts';
import type { BackendInfo } from './record.ts';
import type { Split } from './data.ts';
import { StepProfile } from './profile.ts';

export interface Engine {
  readonly info: BackendInfo;
  readonly shape: ModelShape;
  // One training step on x (B,784), y (B): zero grads, forward with dropout, backward, Adam.
  // Returns the batch's summed loss; `correct` then holds its hit count. A backend whose device
  // answers asynchronously (gpu.js on WebGPU) returns a Promise; the caller awaits only then.
  trainStep(x: Float32Array, y: Uint8Array, B: number): number | Promise<number>;
  // Optional, for engines that fill the batch themselves (the threaded engine does it in parallel,
  // straight from the bytes): trainStep on the examples order[start..start+B) of split.
  trainBatch?(split: Split, order: Uint32Array, start: number, B: number): number;
  // Inference only (no dropout); same return convention.
  evalStep(x: Float32Array, y: Uint8Array, B: number): number | Promise<number>;
  readonly correct: number;
  // After trainStep: whether every parameter gradient was finite.
  readonly gradsFinite: boolean;
  // Names the first parameter tensor whose gradient is not finite (for the error message), or null.
  nonFiniteGradient(): string | null;
  // The flat parameters [W1 (IN,H), b1 (H), W2 (H,C), b2 (C)], copied back from wherever they live.
  readParams(): Float32Array | Promise<Float32Array>;
  close(): Promise<void>;
  // With --profile: the engine's time per phase (the loop adds the data phase); otherwise absent or null.
  readonly profile?: StepProfile | null;
}

export interface EngineOptions {
  batchSize: number;
  learningRate: number;
  seed: number;
  profile?: boolean;
}

// The name of the first tensor holding a NaN or infinity, or null. Only called once training has failed.
export function firstNonFinite(tensors: Record<string, Float32Array>): string | null {
  for (const [name, t] of Object.entries(tensors)) {
    for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i])) return name;
  }
  return null;
}

export class CpuEngine implements Engine {
  readonly info: BackendInfo = { name: 'cpu', mode: 'float32 js, naive kernels', threads: 1 };
  readonly shape = MNIST_MODEL;
  readonly model: Model;
  readonly optimizer: Adam;
  gradsFinite = true;
  readonly profile: StepProfile | null;

  constructor(options: EngineOptions) {
    this.model = new Model(MNIST_MODEL, options.batchSize, options.seed);
    this.optimizer = new Adam(this.model.params, this.model.grads, { ...KERAS_ADAM, learningRate: options.learningRate });
    this.profile = options.profile ? new StepProfile() : null;
  }

  get correct(): number {
    return this.model.loss.result.correct;
  }

  trainStep(x: Float32Array, y: Uint8Array, B: number): number {
    const { model } = this;
    if (this.profile !== null) return this.profiledStep(x, y, B, this.profile);
    model.zeroGrad();
    const lossSum = model.forward(x, y, B, true);
    model.backward(x, y, B);
    this.gradsFinite = this.optimizer.update();
    return lossSum;
  }

  // trainStep with a clock read between phases: the same calls as Model.forward and Model.backward.
  private profiledStep(x: Float32Array, y: Uint8Array, B: number, profile: StepProfile): number {
    const { model } = this;
    let t = performance.now();
    model.zeroGrad();
    model.dense1.forward(x, B);
    model.dropout.forward(model.dense1.out, B, true);
    model.dense2.forward(model.dropout.out, B);
    t = profile.add('forward', t);
    const lossSum = model.loss.forward(model.dense2.out, y, B);
    t = profile.add('loss', t);
    model.backward(x, y, B);
    t = profile.add('backward', t);
    this.gradsFinite = this.optimizer.update();
    profile.add('optimizer', t);
    profile.steps++;
    return lossSum;
  }

  nonFiniteGradient(): string | null {
    const { dW1, db1, dW2, db2 } = this.model;
    return firstNonFinite({ W1: dW1, b1: db1, W2: dW2, b2: db2 });
  }

  evalStep(x: Float32Array, y: Uint8Array, B: number): number {
    return this.model.forward(x, y, B, false);
  }

  readParams(): Float32Array {
    return this.model.params.slice();
  }

  async close(): Promise<void> {}
}
