// Bias add, broadcast over the batch: out is (B,OUT), bias is (OUT).

// Forward, in place: out[b,o] += bias[o].
export function biasForward(out: Float32Array, bias: Float32Array, B: number, OUT: number): void {
  if (bias.length !== OUT || out.length < B * OUT) throw new Error('biasForward: buffer sizes do not fit the shapes');
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OUT; o++) out[b * OUT + o] += bias[o];
  }
}

// Backward, accumulating: dbias[o] += Σ_b dout[b,o]. (dout passes through to the input unchanged.)
export function biasBackward(dbias: Float32Array, dout: Float32Array, B: number, OUT: number): void {
  if (dbias.length !== OUT || dout.length < B * OUT) throw new Error('biasBackward: buffer sizes do not fit the shapes');
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < OUT; o++) dbias[o] += dout[b * OUT + o];
  }
}
