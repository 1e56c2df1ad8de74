// gpu.js twins of softmax_cross_entropy.ts. logits is (B,C), labels is (B); rows is the live batch
// (the buffers hold B rows; a short last batch leaves stale rows past `rows`, which give 0 here).
// loss_b = logsumexp(logits_b) - logits_b[label_b]; the backward recomputes the row's softmax
// instead of keeping probs, which costs C exps per cell and saves a buffer and a kernel.

import type { IKernelFunctionThis } from 'gpu.js';

// Forward: per row, [loss_b, 1 if argmax(logits_b) == label_b else 0]. Output [2, B].
export function softmaxCrossEntropyForward(
  this: IKernelFunctionThis<{ C: number }>, logits: number[][], labels: number[], rows: number,
): number {
  const b = this.thread.y;
  if (b >= rows) return 0;
  let max = logits[b][0];
  let argmax = 0;
  for (let c = 1; c < this.constants.C; c++) {
    if (logits[b][c] > max) {
      max = logits[b][c];
      argmax = c;
    }
  }
  // Subtract the row max so exp never overflows; the largest term becomes exp(0) = 1.
  let sum = 0;
  for (let c = 0; c < this.constants.C; c++) sum += Math.exp(logits[b][c] - max);
  const logSumExp = max + Math.log(sum);
  const label = labels[b];
  if (this.thread.x === 0) return logSumExp - logits[b][label];
  return argmax === label ? 1 : 0;
}

// Backward of the batch-mean loss: dlogits[b,c] = (softmax(logits_b)[c] - [c == label_b]) / rows. Output [C, B].
export function softmaxCrossEntropyBackward(
  this: IKernelFunctionThis<{ C: number }>, logits: number[][], labels: number[], rows: number,
): number {
  const b = this.thread.y;
  const c = this.thread.x;
  if (b >= rows) return 0;
  let max = logits[b][0];
  for (let k = 1; k < this.constants.C; k++) max = Math.max(max, logits[b][k]);
  let sum = 0;
  for (let k = 0; k < this.constants.C; k++) sum += Math.exp(logits[b][k] - max);
  const prob = Math.exp(logits[b][c] - (max + Math.log(sum)));
  const target = c === labels[b] ? 1 : 0;
  return (prob - target) / rows;
}
