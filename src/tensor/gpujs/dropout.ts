// gpu.js twins of dropout.ts. The mask is drawn here on the CPU with the seeded generator, exactly as
// dropout.ts draws it, and uploaded: a seed gives the same masks on every backend.
// Values are (B,N); outputs [N, B].

import type { IKernelFunctionThis } from 'gpu.js';
import { type Rng, nextFloat } from '../rng.ts';

// mask[i] = 0 with probability rate, else 1/(1-rate): the draws of dropoutForward, in the same order.
export function drawDropoutMask(mask: Float32Array, rate: number, n: number, rng: Rng): void {
  const scale = 1 / (1 - rate);
  for (let i = 0; i < n; i++) mask[i] = nextFloat(rng) < rate ? 0 : scale;
}

// Forward: out = inp · mask.
export function dropoutForward(this: IKernelFunctionThis, inp: number[][], mask: number[][]): number {
  return inp[this.thread.y][this.thread.x] * mask[this.thread.y][this.thread.x];
}

// Backward: dinp = dout · mask (the forward pass's mask).
export function dropoutBackward(this: IKernelFunctionThis, dout: number[][], mask: number[][]): number {
  return dout[this.thread.y][this.thread.x] * mask[this.thread.y][this.thread.x];
}
