// The optimizer: Adam over the model's flat parameter buffer, with its two moment buffers.

import { type AdamConfig, adamUpdate } from '../tensor/adam.ts';

export const KERAS_ADAM: AdamConfig = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

export class Adam {
  readonly m: Float32Array; // first moments, one per parameter
  readonly v: Float32Array; // second moments
  step = 0;

  readonly params: Float32Array; readonly grads: Float32Array; readonly config: AdamConfig;

  constructor(params: Float32Array, grads: Float32Array, config: AdamConfig) {
    this.params = params; this.grads = grads; this.config = config;
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
  }

  // Returns false if any gradient was not finite (the update has then already spoiled the parameters).
  update(): boolean {
    this.step++;
    return adamUpdate(this.params, this.m, this.v, this.grads, this.config, this.step, this.params.length);
  }
}
