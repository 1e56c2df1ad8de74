// Dense-layer products: out = inp · weight, and the two products its backward needs.
// Layout is row-major and Keras-shaped: inp is (B,IN), weight is (IN,OUT), out is (B,OUT).

import type { NonZeros } from './nonzeros.ts';

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
// In the forward pass out[b,o] = Σ_i inp[b,i] · weight[i,o], so ∂out[b,o]/∂weight[i,o] = inp[b,i] and
// ∂out[b,o]/∂inp[b,i] = weight[i,o]. Each value collects the gradient from every output it reaches:
//   weight[i,o] is used in every row b:      dL/dweight[i,o] = Σ_b inp[b,i] · dout[b,o]    = (inpᵀ · dout)[i,o]
//   inp[b,i] feeds every output o of row b:  dL/dinp[b,i]    = Σ_o dout[b,o] · weight[i,o] = (dout · weightᵀ)[b,i]
// Each gradient has the shape of what it is the gradient of: a quick check of where the transposes go.
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

// ---- Fast twins: the same sums in a different order, checked against the loops above in the tests. ----
// Two ideas make them faster. 8 outputs at a time are summed in local variables, which the JIT keeps
// in registers, instead of in the output array. And the first layer skips zero inputs, which is exact
// (they add nothing): 81% of MNIST pixels are 0, gathered once a step into lists of non-zeros (the
// sparse twins below). Layer 2's inputs, after ReLU and dropout, are about 60% zeros too, but at
// random places: a test per value there is mispredicted so often that it costs more than the
// multiplies it saves (layer 2's forward on fresh hidden values: 17.8 us skipping, 11.1 dense), so
// the dense twins multiply every value, as the naive loops do.
// `npm run bench:kernels` times each against its naive twin.

// Fast twin of matmulForward: for each row, 8 outputs at a time.
export function matmulForwardFast(
  out: Float32Array, inp: Float32Array, weight: Float32Array,
  B: number, IN: number, OUT: number,
): void {
  check('matmulForwardFast', out, B * OUT, inp, B * IN, weight, IN * OUT);
  const OUT8 = OUT - (OUT % 8);
  for (let b = 0; b < B; b++) {
    const row = b * IN, ob = b * OUT;
    for (let o = 0; o < OUT8; o += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let i = 0; i < IN; i++) {
        const a = inp[row + i];
        const w = i * OUT + o;
        s0 += a * weight[w]; s1 += a * weight[w + 1]; s2 += a * weight[w + 2]; s3 += a * weight[w + 3];
        s4 += a * weight[w + 4]; s5 += a * weight[w + 5]; s6 += a * weight[w + 6]; s7 += a * weight[w + 7];
      }
      out[ob + o] = s0; out[ob + o + 1] = s1; out[ob + o + 2] = s2; out[ob + o + 3] = s3;
      out[ob + o + 4] = s4; out[ob + o + 5] = s5; out[ob + o + 6] = s6; out[ob + o + 7] = s7;
    }
    // The last OUT % 8 outputs two at a time: two independent sums overlap where one would wait for
    // each addition (layer 2's 10 logits: 8, then 2).
    let o = OUT8;
    for (; o + 1 < OUT; o += 2) {
      let s0 = 0, s1 = 0;
      for (let i = 0; i < IN; i++) {
        const a = inp[row + i], w = i * OUT + o;
        s0 += a * weight[w]; s1 += a * weight[w + 1];
      }
      out[ob + o] = s0; out[ob + o + 1] = s1;
    }
    if (o < OUT) {
      let s = 0;
      for (let i = 0; i < IN; i++) s += inp[row + i] * weight[i * OUT + o];
      out[ob + o] = s;
    }
  }
}

// Fast twin of matmulBackward: dweight one weight row at a time, 8 columns in registers, summing over
// the batch; dinp 8 inputs at a time, each summed over o in the naive order (so bit for bit the
// naive values): 8 independent sums, which the CPU can overlap, instead of one
// chain of dependent additions. `npm run bench:kernels` (its layer 2 backward row) measures the gain.
export function matmulBackwardFast(
  dinp: Float32Array | null, dweight: Float32Array,
  dout: Float32Array, inp: Float32Array, weight: Float32Array,
  B: number, IN: number, OUT: number,
): void {
  check('matmulBackwardFast', dout, B * OUT, inp, B * IN, weight, IN * OUT);
  dweightBlocked(dweight, dout, inp, B, IN, OUT);
  if (dinp === null) return;
  const IN8 = IN - (IN % 8);
  const w1 = OUT, w2 = 2 * OUT, w3 = 3 * OUT, w4 = 4 * OUT, w5 = 5 * OUT, w6 = 6 * OUT, w7 = 7 * OUT;
  for (let b = 0; b < B; b++) {
    const ob = b * OUT, ib = b * IN;
    for (let i = 0; i < IN8; i += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let o = 0; o < OUT; o++) {
        const d = dout[ob + o], w = i * OUT + o;
        s0 += d * weight[w]; s1 += d * weight[w + w1]; s2 += d * weight[w + w2]; s3 += d * weight[w + w3];
        s4 += d * weight[w + w4]; s5 += d * weight[w + w5]; s6 += d * weight[w + w6]; s7 += d * weight[w + w7];
      }
      dinp[ib + i] += s0; dinp[ib + i + 1] += s1; dinp[ib + i + 2] += s2; dinp[ib + i + 3] += s3;
      dinp[ib + i + 4] += s4; dinp[ib + i + 5] += s5; dinp[ib + i + 6] += s6; dinp[ib + i + 7] += s7;
    }
    for (let i = IN8; i < IN; i++) {
      let sum = 0;
      for (let o = 0; o < OUT; o++) sum += dout[ob + o] * weight[i * OUT + o];
      dinp[ib + i] += sum;
    }
  }
}

// Each weight row 8 columns at a time in registers, summing over the batch: each dweight is read and
// written once, not once per example as in the naive order. The faster order for the 10-wide layer 2
// too: `npm run bench:kernels` (its layer 2 backward row) times it, with dinp, against the naive loops.
function dweightBlocked(dweight: Float32Array, dout: Float32Array, inp: Float32Array, B: number, IN: number, OUT: number): void {
  const OUT8 = OUT - (OUT % 8);
  for (let i = 0; i < IN; i++) {
    const wi = i * OUT;
    for (let o = 0; o < OUT8; o += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let b = 0; b < B; b++) {
        const a = inp[b * IN + i];
        const d = b * OUT + o;
        s0 += a * dout[d]; s1 += a * dout[d + 1]; s2 += a * dout[d + 2]; s3 += a * dout[d + 3];
        s4 += a * dout[d + 4]; s5 += a * dout[d + 5]; s6 += a * dout[d + 6]; s7 += a * dout[d + 7];
      }
      dweight[wi + o] += s0; dweight[wi + o + 1] += s1; dweight[wi + o + 2] += s2; dweight[wi + o + 3] += s3;
      dweight[wi + o + 4] += s4; dweight[wi + o + 5] += s5; dweight[wi + o + 6] += s6; dweight[wi + o + 7] += s7;
    }
    let o = OUT8; // then two at a time, as in matmulForwardFast
    for (; o + 1 < OUT; o += 2) {
      let s0 = 0, s1 = 0;
      for (let b = 0; b < B; b++) {
        const a = inp[b * IN + i], d = b * OUT + o;
        s0 += a * dout[d]; s1 += a * dout[d + 1];
      }
      dweight[wi + o] += s0; dweight[wi + o + 1] += s1;
    }
    if (o < OUT) {
      let s = 0;
      for (let b = 0; b < B; b++) s += inp[b * IN + i] * dout[b * OUT + o];
      dweight[wi + o] += s;
    }
  }
}

// Sparse twin of matmulForward for the first layer: inp arrives as its non-zeros (see nonzeros.ts,
// gathered once per step), so each output sums about 150 terms instead of 784.
export function matmulForwardSparse(
  out: Float32Array, nz: NonZeros, weight: Float32Array,
  B: number, IN: number, OUT: number,
): void {
  checkNonZeros('matmulForwardSparse', nz, B, IN);
  check('matmulForwardSparse', out, B * OUT, nz.rowIndex, B * IN, weight, IN * OUT);
  const { rowCount, rowIndex, rowValue } = nz;
  const OUT8 = OUT - (OUT % 8);
  for (let b = 0; b < B; b++) {
    const start = b * IN, end = start + rowCount[b], ob = b * OUT;
    for (let o = 0; o < OUT8; o += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let k = start; k < end; k++) {
        const a = rowValue[k];
        const w = rowIndex[k] * OUT + o;
        s0 += a * weight[w]; s1 += a * weight[w + 1]; s2 += a * weight[w + 2]; s3 += a * weight[w + 3];
        s4 += a * weight[w + 4]; s5 += a * weight[w + 5]; s6 += a * weight[w + 6]; s7 += a * weight[w + 7];
      }
      out[ob + o] = s0; out[ob + o + 1] = s1; out[ob + o + 2] = s2; out[ob + o + 3] = s3;
      out[ob + o + 4] = s4; out[ob + o + 5] = s5; out[ob + o + 6] = s6; out[ob + o + 7] = s7;
    }
    for (let o = OUT8; o < OUT; o++) {
      let s = 0;
      for (let k = start; k < end; k++) s += rowValue[k] * weight[rowIndex[k] * OUT + o];
      out[ob + o] = s;
    }
  }
}

// Sparse twin of matmulBackward(null, ...) for the first layer: dweight += inpᵀ · dout (derived at
// matmulBackward), with inp as its non-zeros column by column, so each weight row sums only the
// examples whose pixel is lit. No dinp: the first layer's input is the data.
export function matmulBackwardSparse(
  dweight: Float32Array, dout: Float32Array, nz: NonZeros,
  B: number, IN: number, OUT: number,
): void {
  checkNonZeros('matmulBackwardSparse', nz, B, IN);
  check('matmulBackwardSparse', dout, B * OUT, nz.colIndex, IN * B, dweight, IN * OUT);
  const { colCount, colIndex, colValue, maxBatch } = nz;
  const OUT8 = OUT - (OUT % 8);
  for (let i = 0; i < IN; i++) {
    const start = i * maxBatch, end = start + colCount[i], wi = i * OUT;
    if (end === start) continue; // a pixel dark in the whole batch: its weight row gets no gradient
    for (let o = 0; o < OUT8; o += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let k = start; k < end; k++) {
        const a = colValue[k];
        const d = colIndex[k] * OUT + o;
        s0 += a * dout[d]; s1 += a * dout[d + 1]; s2 += a * dout[d + 2]; s3 += a * dout[d + 3];
        s4 += a * dout[d + 4]; s5 += a * dout[d + 5]; s6 += a * dout[d + 6]; s7 += a * dout[d + 7];
      }
      dweight[wi + o] += s0; dweight[wi + o + 1] += s1; dweight[wi + o + 2] += s2; dweight[wi + o + 3] += s3;
      dweight[wi + o + 4] += s4; dweight[wi + o + 5] += s5; dweight[wi + o + 6] += s6; dweight[wi + o + 7] += s7;
    }
    for (let o = OUT8; o < OUT; o++) {
      let s = 0;
      for (let k = start; k < end; k++) s += colValue[k] * dout[colIndex[k] * OUT + o];
      dweight[wi + o] += s;
    }
  }
}

// Buffers may be longer than needed (sized for the largest batch), never shorter.
function check(
  name: string, out: Float32Array, outLen: number, inp: ArrayLike<number>, inpLen: number,
  weight: Float32Array, weightLen: number,
): void {
  if (out.length < outLen || inp.length < inpLen || weight.length !== weightLen) {
    throw new Error(`${name}: buffer sizes ${out.length}/${inp.length}/${weight.length} do not fit the shapes`);
  }
}

function checkNonZeros(name: string, nz: NonZeros, B: number, IN: number): void {
  if (nz.N !== IN || B > nz.maxBatch) throw new Error(`${name}: non-zeros gathered for ${nz.maxBatch}x${nz.N}, not ${B}x${IN}`);
}
