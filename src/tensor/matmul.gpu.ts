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
