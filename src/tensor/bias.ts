// Bias add, broadcast over the batch: out is (B,OUT), bias is (OUT).

// Forward, in place: out[b,o] += bias[o].
export function biasForward(out: Float32Array, bias: Float32Array, B: number, OUT: number): void {
  if (bias.length !== OUT || out.length < B * OUT) throw new Error('biasForward: buffer sizes do not fit the shapes');
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OUT; o++) out[b * OUT + o] += bias[o];
  }
}

// Backward, accumulating: dbias[o] += Σ_b dout[b,o].
// In the forward pass out[b,o] = x[b,o] + bias[o] for every row b, so ∂out[b,o]/∂bias[o] = 1 in each
// of the B rows. A value used in several places collects the gradient from every use:
//   dL/dbias[o] = Σ_b dL/dout[b,o] · 1 = Σ_b dout[b,o].
// And ∂out[b,o]/∂x[b,o] = 1: dout passes through to the input unchanged (the layer reuses it as is).
export function biasBackward(dbias: Float32Array, dout: Float32Array, B: number, OUT: number): void {
  if (dbias.length !== OUT || dout.length < B * OUT) throw new Error('biasBackward: buffer sizes do not fit the shapes');
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OUT; o++) dbias[o] += dout[b * OUT + o];
  }
}
