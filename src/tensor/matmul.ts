// Dense-layer products: out = inp · weight, and the two products its backward needs.
// Layout is row-major and Keras-shaped: inp is (B,IN), weight is (IN,OUT), out is (B,OUT).

// Forward: out[b,o] = Σ_i inp[b,i] · weight[i,o].
// Loop order b, i, o keeps the inner loop walking weight and out contiguously.
export function matmulForward(
  out: Float32Array, inp: Float32Array, weight: Float32Array,
  B: number, IN: number, OUT: number,
): void {
  check('matmulForward', out, B * OUT, inp, B * IN, weight, IN * OUT);
  for (let b = 0; b < B; b++) {
    const ob = b * OUT;
    for (let o = 0; o < OUT; o++) out[ob + o] = 0;
    for (let i = 0; i < IN; i++) {
      const a = inp[b * IN + i];
      const wi = i * OUT;
      for (let o = 0; o < OUT; o++) out[ob + o] += a * weight[wi + o];
    }
  }
}

// Backward, accumulating: dweight += inpᵀ · dout (IN,OUT), dinp += dout · weightᵀ (B,IN).
// dinp may be null: the first layer's input is the data, whose gradient nobody needs.
export function matmulBackward(
  dinp: Float32Array | null, dweight: Float32Array,
  dout: Float32Array, inp: Float32Array, weight: Float32Array,
  B: number, IN: number, OUT: number,
): void {
  check('matmulBackward', dout, B * OUT, inp, B * IN, weight, IN * OUT);
  for (let b = 0; b < B; b++) {
    const ob = b * OUT;
    for (let i = 0; i < IN; i++) {
      const a = inp[b * IN + i];
      const wi = i * OUT;
      for (let o = 0; o < OUT; o++) dweight[wi + o] += a * dout[ob + o];
    }
  }
  if (dinp === null) return;
  for (let b = 0; b < B; b++) {
    const ob = b * OUT;
    for (let i = 0; i < IN; i++) {
      const wi = i * OUT;
      let sum = 0;
      for (let o = 0; o < OUT; o++) sum += dout[ob + o] * weight[wi + o];
      dinp[b * IN + i] += sum;
    }
  }
}

// Buffers may be longer than needed (sized for the largest batch), never shorter.
function check(
  name: string, out: Float32Array, outLen: number, inp: Float32Array, inpLen: number,
  weight: Float32Array, weightLen: number,
): void {
  if (out.length < outLen || inp.length < inpLen || weight.length !== weightLen) {
    throw new Error(`${name}: buffer sizes ${out.length}/${inp.length}/${weight.length} do not fit the shapes`);
  }
}
