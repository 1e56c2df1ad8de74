// Inverted dropout, elementwise over n values, as Keras trains it: each value is kept with
// probability 1 - rate and scaled by 1 / (1 - rate), so inference needs no rescaling.

import { type Rng, nextFloat } from './rng.ts';

// Draws a fresh mask (0 or 1/(1-rate) per value) and applies it: out = inp · mask.
export function dropoutForward(
  out: Float32Array, mask: Float32Array, inp: Float32Array, rate: number, n: number, rng: Rng,
): void {
  const scale = 1 / (1 - rate);
  for (let i = 0; i < n; i++) {
    mask[i] = nextFloat(rng) < rate ? 0 : scale;
    out[i] = inp[i] * mask[i];
  }
}

// Backward, accumulating: dinp += dout · mask (the same mask the forward pass drew).
export function dropoutBackward(dinp: Float32Array, dout: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}
