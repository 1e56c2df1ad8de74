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
// In the forward pass out[i] = inp[i] · mask[i], and once drawn mask[i] is a constant, so
// ∂out[i]/∂inp[i] = mask[i] and dL/dinp[i] = dout[i] · mask[i]: a dropped value passes no gradient,
// a kept one passes it scaled by 1/(1-rate), as its value was.
export function dropoutBackward(dinp: Float32Array, dout: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dinp[i] += dout[i] * mask[i];
}

// Fast twin of the mask draws in dropoutForward, for one block of units: columns [h0, h0 + Ht) of a
// (B,H) mask into mask (B,Ht). The generator steps through every one of the B·H values in the same
// order as dropoutForward (so each thread of the threaded engine, drawing its own block, stays in step
// with the others), with its state in local variables. nextFloat(rng) < rate is tested as
// nextUint32 < rate·2^32 (both sides scaled by 2^32: exact), which skips a division per draw, and
// the kept/dropped choice is a multiply by the comparison's 0 or 1, not a branch, which a random
// draw would mispredict one time in five (9.2 -> 5.0 us a step for 64 of 128 units).
export function dropoutMaskColumns(mask: Float32Array, rate: number, B: number, H: number, h0: number, Ht: number, rng: Rng): void {
  if (mask.length < B * Ht || h0 < 0 || h0 + Ht > H) throw new Error('dropoutMaskColumns: buffer sizes do not fit the shapes');
  const scale = 1 / (1 - rate), threshold = rate * 4294967296;
  let { a, b, c, d } = rng;
  for (let row = 0; row < B; row++) {
    for (let h = 0; h < H; h++) {
      // one sfc32 step, as rng.ts's nextUint32
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      const j = h - h0;
      if (j >= 0 && j < Ht) mask[row * Ht + j] = scale * +(t >>> 0 >= threshold);
    }
  }
  rng.a = a; rng.b = b; rng.c = c; rng.d = d;
}
