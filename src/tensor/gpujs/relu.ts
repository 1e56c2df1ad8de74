// gpu.js twins of relu.ts. Output [N, B] for values that are (B,N).

import type { IKernelFunctionThis } from 'gpu.js';

// Forward with the Dense layer's bias folded in: out[b,o] = max(0, inp[b,o] + bias[o]), bias (1,N).
// One pass instead of two, and the pre-activation needs no buffer of its own.
export function biasReluForward(this: IKernelFunctionThis, inp: number[][], bias: number[][]): number {
  const z = inp[this.thread.y][this.thread.x] + bias[0][this.thread.x];
  return z > 0 ? z : 0;
}

// Backward: dinp[b,o] = dout[b,o] where the unit was active. out > 0 exactly where inp + bias > 0,
// so the forward output stands in for the pre-activation (the kink at 0 takes gradient 0, as in relu.ts).
export function reluBackward(this: IKernelFunctionThis, dout: number[][], out: number[][]): number {
  const b = this.thread.y;
  const o = this.thread.x;
  return out[b][o] > 0 ? dout[b][o] : 0;
}
