// gpu.js twins of adam.ts, elementwise over one parameter matrix (R,C); outputs [C, R].
// adam.ts does the three updates in one loop; a gpu.js kernel returns one value per cell, so here
// they are three kernels run in order, each reading what the one before wrote:
//   m = β1·m + (1-β1)·g,  v = β2·v + (1-β2)·g²,  p -= lr_t · m / (sqrt(v) + ε),
// with lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t) worked out on the CPU each step (adamStepSize).

import type { IKernelFunctionThis } from 'gpu.js';
import type { AdamConfig } from '../adam.ts';

export interface AdamConstants {
  beta1: number;
  beta2: number;
  epsilon: number;
}

// Keras folds both bias corrections into the step size; t is the 1-based step count.
export function adamStepSize(config: AdamConfig, t: number): number {
  return config.learningRate * Math.sqrt(1 - Math.pow(config.beta2, t)) / (1 - Math.pow(config.beta1, t));
}

export function adamFirstMoment(this: IKernelFunctionThis<AdamConstants>, m: number[][], grad: number[][]): number {
  const beta1 = this.constants.beta1;
  return beta1 * m[this.thread.y][this.thread.x] + (1 - beta1) * grad[this.thread.y][this.thread.x];
}

export function adamSecondMoment(this: IKernelFunctionThis<AdamConstants>, v: number[][], grad: number[][]): number {
  const beta2 = this.constants.beta2;
  const g = grad[this.thread.y][this.thread.x];
  return beta2 * v[this.thread.y][this.thread.x] + (1 - beta2) * g * g;
}

// m and v are the moments just updated by the two kernels above.
export function adamParam(
  this: IKernelFunctionThis<AdamConstants>, param: number[][], m: number[][], v: number[][], stepSize: number,
): number {
  const y = this.thread.y;
  const x = this.thread.x;
  return param[y][x] - stepSize * m[y][x] / (Math.sqrt(v[y][x]) + this.constants.epsilon);
}

// A plain copy: puts a host array on the device as a kernel result (see GpuJsEngine.toDevice).
export function copyValue(this: IKernelFunctionThis, a: number[][]): number {
  return a[this.thread.y][this.thread.x];
}
