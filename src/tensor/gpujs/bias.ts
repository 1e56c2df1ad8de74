// gpu.js twins of bias.ts. out is (B,OUT); bias is a (1,OUT) row, so that every parameter on the
// device is a 2D matrix and one Adam kernel serves them all. Output [OUT, B] unless noted.

import type { IKernelFunctionThis } from 'gpu.js';

// Forward: out[b,o] = inp[b,o] + bias[o].
export function biasForward(this: IKernelFunctionThis, inp: number[][], bias: number[][]): number {
  return inp[this.thread.y][this.thread.x] + bias[0][this.thread.x];
}

// Backward: dbias[o] = Σ_b dout[b,o]. Output [OUT, 1]. Rows past the live batch are 0 in dout.
export function biasBackward(this: IKernelFunctionThis<{ B: number }>, dout: number[][]): number {
  const o = this.thread.x;
  let sum = 0;
  for (let b = 0; b < this.constants.B; b++) sum += dout[b][o];
  return sum;
}
