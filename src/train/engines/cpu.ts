// The single-thread teaching engine (--kernels naive --threads 1): the Model and Adam of src/nn,
// one training step at a time, in this thread. trainStep below is the whole training step.

import { Model, type ModelShape } from '../../nn/model.ts';
import { Adam, KERAS_ADAM } from '../../nn/optimizer.ts';
import { StepProfile } from '../profile.ts';
import { argmaxRows } from '../../tensor/softmax_cross_entropy.ts';
import { type BackendInfo, type Engine, type EngineOptions, firstNonFinite, shapeOf } from './engine.ts';

export class CpuEngine implements Engine {
  readonly info: BackendInfo = { name: 'cpu', mode: 'float32 js, naive kernels', threads: 1 };
  readonly shape: ModelShape;
  readonly model: Model;
  readonly optimizer: Adam;
  gradsFinite = true;
  readonly profile: StepProfile | null;

  constructor(options: EngineOptions) {
    this.shape = shapeOf(options);
    this.model = new Model(this.shape, options.batchSize, options.seed);
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

  predictions(out: Uint8Array, offset: number, B: number): void {
    argmaxRows(out, offset, this.model.dense2.out, B, this.shape.classes);
  }

  readParams(): Float32Array {
    return this.model.params.slice();
  }

  async close(): Promise<void> {}
}
