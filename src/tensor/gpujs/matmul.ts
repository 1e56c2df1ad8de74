// gpu.js twins of matmul.ts: the same three products, one thread per output cell.
// Shapes as in matmul.ts: inp is (B,IN), weight is (IN,OUT), out is (B,OUT). gpu.js indexes a 2D value
// as value[row][column] and gives each thread its cell as thread.y = row, thread.x = column; an output
// of R rows and C columns is declared [C, R] (x first). Loop bounds are constants: gpu.js silently
// stops a loop whose bound is an argument after loopMaxIterations (1000) passes.
// The result is written, not accumulated: the engine runs each product once per step, so no zero_grad.

import type { IKernelFunctionThis } from 'gpu.js';

// Forward: out[b,o] = Σ_i inp[b,i] · weight[i,o]. Output [OUT, B].
export function matmulForward(this: IKernelFunctionThis<{ IN: number }>, inp: number[][], weight: number[][]): number {
  const b = this.thread.y;
  const o = this.thread.x;
  let sum = 0;
  for (let i = 0; i < this.constants.IN; i++) {
    const a = inp[b][i];
    // Most inputs are exactly 0 (MNIST's background, ReLU and dropout zeros): skip their weight reads.
    if (a !== 0) sum += a * weight[i][o];
  }
  return sum;
}

// Backward for the weight: dweight[i,o] = Σ_b inp[b,i] · dout[b,o] (inpᵀ · dout). Output [OUT, IN].
// Rows of dout past the live batch are 0, so summing all B rows of the buffer is exact.
export function matmulBackwardWeight(this: IKernelFunctionThis<{ B: number }>, dout: number[][], inp: number[][]): number {
  const i = this.thread.y;
  const o = this.thread.x;
  let sum = 0;
  for (let b = 0; b < this.constants.B; b++) {
    const a = inp[b][i];
    if (a !== 0) sum += a * dout[b][o];
  }
  return sum;
}

// Backward for the input: dinp[b,i] = Σ_o dout[b,o] · weight[i,o] (dout · weightᵀ). Output [IN, B].
export function matmulBackwardInput(this: IKernelFunctionThis<{ OUT: number }>, dout: number[][], weight: number[][]): number {
  const b = this.thread.y;
  const i = this.thread.x;
  let sum = 0;
  for (let o = 0; o < this.constants.OUT; o++) sum += dout[b][o] * weight[i][o];
  return sum;
}

// The first layer's input is MNIST pixels, about 81% of them exactly 0. A dense kernel still walks
// all 784 inputs per cell, so the two products over the data read compressed lists of the nonzero
// pixels instead: the same sums over the same terms in the same order, minus the zero terms.
// The lists are made on the CPU, where the batch is made, and uploaded with it.

// By row: for each b, count[b] entries (index[b,k], values[b,k]) = (i, inp[b,i]) over inp[b,i] != 0,
// i ascending. Rows from `rows` on (stale rows of a short last batch) get count 0.
export function compressRows(
  values: Float32Array, index: Float32Array, count: Float32Array, inp: Float32Array, rows: number, B: number, IN: number,
): void {
  for (let b = 0; b < B; b++) {
    let n = 0;
    if (b < rows) {
      for (let i = 0; i < IN; i++) {
        const a = inp[b * IN + i];
        if (a !== 0) { values[b * IN + n] = a; index[b * IN + n] = i; n++; }
      }
    }
    count[b] = n;
  }
}

// By column: for each i, count[i] entries (index[i,k], values[i,k]) = (b, inp[b,i]) over inp[b,i] != 0, b ascending.
export function compressColumns(
  values: Float32Array, index: Float32Array, count: Float32Array, inp: Float32Array, rows: number, B: number, IN: number,
): void {
  count.fill(0, 0, IN);
  for (let b = 0; b < rows; b++) {
    for (let i = 0; i < IN; i++) {
      const a = inp[b * IN + i];
      if (a !== 0) {
        const n = count[i]++;
        values[i * B + n] = a;
        index[i * B + n] = b;
      }
    }
  }
}

// Forward over row lists: out[b,o] = Σ_{k < count[b]} values[b,k] · weight[index[b,k], o]. Output [OUT, B].
export function sparseMatmulForward(
  this: IKernelFunctionThis<{ IN: number }>, values: number[][], index: number[][], count: number[], weight: number[][],
): number {
  const b = this.thread.y;
  const o = this.thread.x;
  const n = count[b];
  let sum = 0;
  for (let k = 0; k < this.constants.IN; k++) {
    if (k >= n) break;
    sum += values[b][k] * weight[index[b][k]][o];
  }
  return sum;
}

// Backward for the weight over column lists: dweight[i,o] = Σ_{k < count[i]} values[i,k] · dout[index[i,k], o].
// Output [OUT, IN].
export function sparseMatmulBackwardWeight(
  this: IKernelFunctionThis<{ B: number }>, dout: number[][], values: number[][], index: number[][], count: number[],
): number {
  const i = this.thread.y;
  const o = this.thread.x;
  const n = count[i];
  let sum = 0;
  for (let k = 0; k < this.constants.B; k++) {
    if (k >= n) break;
    sum += values[i][k] * dout[index[i][k]][o];
  }
  return sum;
}
