// Fused elementwise kernels for the fast path: one pass over the hidden layer where the naive path
// makes three (bias, ReLU, dropout). Each equals its chain of naive kernels exactly (tested).
// preact, out, dout, dpreact and mask are (B,OUT); bias is (OUT).

// preact += bias; out = max(0, preact) · mask. The mask (0 or 1/(1-rate)) was drawn beforehand,
// as dropoutForward draws it; mask null means inference (no dropout).
// Twin of biasForward, reluForward, dropoutForward.
export function biasReluDropoutForward(
  out: Float32Array, preact: Float32Array, bias: Float32Array, mask: Float32Array | null, B: number, OUT: number,
): void {
  if (bias.length !== OUT || preact.length < B * OUT || out.length < B * OUT) throw new Error('biasReluDropoutForward: buffer sizes do not fit the shapes');
  for (let b = 0; b < B; b++) {
    const ob = b * OUT;
    for (let o = 0; o < OUT; o++) {
      const z = preact[ob + o] + bias[o];
      preact[ob + o] = z;
      const h = z > 0 ? Math.fround(z) : 0; // round as reluForward's store would, before the mask multiplies
      out[ob + o] = mask === null ? h : h * mask[ob + o];
    }
  }
}

// Backward, accumulating: dpreact += dout · mask · [preact > 0]. Twin of dropoutBackward, reluBackward.
export function reluDropoutBackward(
  dpreact: Float32Array, dout: Float32Array, preact: Float32Array, mask: Float32Array, n: number,
): void {
  for (let i = 0; i < n; i++) {
    if (preact[i] > 0) dpreact[i] += Math.fround(dout[i] * mask[i]);
  }
}
