// Dropout layer: active in training only; at inference it passes its input through.

import { dropoutForward, dropoutBackward } from '../tensor/dropout.ts';
import type { Rng } from '../tensor/rng.ts';
import { type Alloc, float32 } from './alloc.ts';

export class Dropout {
  readonly out: Float32Array; // (B,N)
  readonly dout: Float32Array; // (B,N), filled by the next layer
  readonly mask: Float32Array; // (B,N), 0 or 1/(1-rate), redrawn every training step

  readonly size: number; readonly rate: number; readonly rng: Rng;

  constructor(size: number, rate: number, rng: Rng, maxBatch: number, alloc: Alloc = float32) {
    this.size = size; this.rate = rate; this.rng = rng;
    this.out = alloc(maxBatch * size);
    this.dout = alloc(maxBatch * size);
    this.mask = alloc(maxBatch * size);
  }

  forward(inp: Float32Array, B: number, training: boolean): void {
    const n = B * this.size;
    if (training) dropoutForward(this.out, this.mask, inp, this.rate, n, this.rng);
    else for (let i = 0; i < n; i++) this.out[i] = inp[i];
  }

  // Accumulates into dinp.
  backward(dinp: Float32Array, B: number): void {
    dropoutBackward(dinp, this.dout, this.mask, B * this.size);
  }
}
