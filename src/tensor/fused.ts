// Fused kernels for the fast path: one pass over the hidden layer where the naive path makes three
// (bias, ReLU, dropout), and one over W1 for its gradient and its Adam step. Each equals its chain
// of naive kernels exactly (tested). preact, out, dout, dpreact and mask are (B,OUT); bias is (OUT).

import { adamStepSize, type AdamConfig } from './adam.ts';
import type { NonZeros } from './nonzeros.ts';

// preact += bias; out = max(0, preact) · mask. The mask (0 or 1/(1-rate)) was drawn beforehand,
// as dropoutForward draws it; mask null means inference (no dropout).
// Twin of biasForward, reluForward, dropoutForward.
// ReLU without a branch: (z + |z|) / 2 is exactly z for z > 0 and 0 otherwise, for any finite z. A
// branch on the sign of z would be mispredicted about half the time, the signs being close to random
// (a (32,64) block of fresh pre-activations: 16.7 us with the branch, 3.4 without). A NaN or
// infinite z (only from non-finite weights) makes the block redo its ReLU with the comparison, as
// reluForward does, from the stored pre-activations.
export function biasReluDropoutForward(
  out: Float32Array, preact: Float32Array, bias: Float32Array, mask: Float32Array | null, B: number, OUT: number,
): void {
  if (bias.length !== OUT || preact.length < B * OUT || out.length < B * OUT) throw new Error('biasReluDropoutForward: buffer sizes do not fit the shapes');
  let poison = 0; // z·0 is 0 for every finite z, NaN otherwise (as in adamUpdate)
  for (let b = 0; b < B; b++) {
    const ob = b * OUT;
    for (let o = 0; o < OUT; o++) {
      const z = preact[ob + o] + bias[o];
      preact[ob + o] = z;
      poison += z * 0;
      const h = Math.fround((z + Math.abs(z)) * 0.5); // round as reluForward's store would, before the mask multiplies
      out[ob + o] = mask === null ? h : h * mask[ob + o];
    }
  }
  if (poison === 0) return;
  for (let i = 0; i < B * OUT; i++) {
    const h = preact[i] > 0 ? preact[i] : 0;
    out[i] = mask === null ? h : h * mask[i];
  }
}

// Backward, accumulating: dpreact += dout · mask · [preact > 0]. Twin of dropoutBackward, reluBackward.
// In the forward pass out = max(0, preact) · mask, so by the chain rule dropout's factor (mask) and
// ReLU's ([preact > 0]) multiply: the two backward kernels in one pass.
// Without a branch, for the same reason as the forward (12.2 -> 3.0 us a (32,64) block): [preact > 0]
// is a 0 or a 1 that multiplies. 0 · x is 0 only for a finite x, so the values dout · mask are
// checked first, and with a NaN or infinite one (a diverging step) the loop branches as
// reluBackward does. (A start value of -0 may end as +0, which no later sum can tell apart.)
export function reluDropoutBackward(
  dpreact: Float32Array, dout: Float32Array, preact: Float32Array, mask: Float32Array, n: number,
): void {
  let poison = 0;
  for (let i = 0; i < n; i++) poison += Math.fround(dout[i] * mask[i]) * 0;
  if (poison === 0) {
    for (let i = 0; i < n; i++) dpreact[i] += Math.fround(dout[i] * mask[i]) * +(preact[i] > 0);
    return;
  }
  for (let i = 0; i < n; i++) {
    if (preact[i] > 0) dpreact[i] += Math.fround(dout[i] * mask[i]);
  }
}

// Layer 1's weight gradient and Adam on its weights, fused, for the fast path. Twin of
//   dW.fill(0); matmulBackwardSparse(dW, dout, nz, B, IN, OUT); adamUpdateFast(W, m, v, dW, config, t, IN·OUT)
// and equal to it bit for bit. W, m and v are (IN,OUT); dout is (B,OUT), float32 values, also taken
// as a Float64Array (then no conversion per multiply-add); nz holds the batch's non-zeros by column;
// gradRow is (OUT) scratch. Faster because each row of dW is summed into
// gradRow, which stays in the L1 cache, and fed to Adam at once: one pass over W instead of three,
// and the (IN,OUT) gradient is never written (nor zeroed, nor read back); `npm run bench:kernels`
// (its fused row) measures it against the naive chain. Rows of pixels never lit so far (lit[i] = 0;
// set here) are skipped: their gradient, m and v are exactly 0, so Adam would leave them as they are
// (67 of MNIST's 784 pixels). Returns false if any gradient was NaN or infinite.
// Only rows i0..i1-1 when given: rows are independent, so threads can share one W's rows out.
export function sparseBackwardAdam(
  W: Float32Array, m: Float32Array, v: Float32Array, gradRow: Float32Array, dout: Float32Array | Float64Array, nz: NonZeros,
  lit: Uint8Array, config: AdamConfig, t: number, B: number, IN: number, OUT: number, i0 = 0, i1 = IN,
): boolean {
  if (W.length !== IN * OUT || m.length < IN * OUT || v.length < IN * OUT || gradRow.length !== OUT || dout.length < B * OUT
    || lit.length !== IN || nz.N !== IN || B > nz.maxBatch || i0 < 0 || i0 > i1 || i1 > IN) throw new Error('sparseBackwardAdam: buffer sizes do not fit the shapes');
  const { colCount, colIndex, colValue, maxBatch } = nz;
  const { beta1, beta2, epsilon } = config;
  const lrT = adamStepSize(config, t);
  const c1 = 1 - beta1, c2 = 1 - beta2;
  const OUT8 = OUT - (OUT % 8);
  let poison = 0; // as in adamUpdate: g·0 is NaN only for a NaN or infinite g
  for (let i = i0; i < i1; i++) {
    const start = i * maxBatch, end = start + colCount[i], wi = i * OUT;
    if (end === start) {
      if (lit[i] === 0) continue;
      gradRow.fill(0); // dark in this batch: a zero gradient, but m still decays and W moves
    } else {
      lit[i] = 1;
      for (let o = 0; o < OUT8; o += 8) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (let k = start; k < end; k++) {
          const a = colValue[k];
          const d = colIndex[k] * OUT + o;
          s0 += a * dout[d]; s1 += a * dout[d + 1]; s2 += a * dout[d + 2]; s3 += a * dout[d + 3];
          s4 += a * dout[d + 4]; s5 += a * dout[d + 5]; s6 += a * dout[d + 6]; s7 += a * dout[d + 7];
        }
        gradRow[o] = s0; gradRow[o + 1] = s1; gradRow[o + 2] = s2; gradRow[o + 3] = s3;
        gradRow[o + 4] = s4; gradRow[o + 5] = s5; gradRow[o + 6] = s6; gradRow[o + 7] = s7;
      }
      for (let o = OUT8; o < OUT; o++) {
        let s = 0;
        for (let k = start; k < end; k++) s += colValue[k] * dout[colIndex[k] * OUT + o];
        gradRow[o] = s;
      }
    }
    for (let o = 0; o < OUT; o++) {
      const g = gradRow[o], j = wi + o;
      poison += g * 0;
      const mj = beta1 * m[j] + c1 * g;
      const vj = beta2 * v[j] + c2 * g * g;
      m[j] = mj;
      v[j] = vj;
      W[j] -= lrT * mj / (Math.sqrt(vj) + epsilon);
    }
  }
  return poison === 0;
}
