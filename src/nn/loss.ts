// The loss: sparse softmax cross-entropy over the logits, averaged over the batch.

import {
  type LossResult, softmaxCrossEntropyForward, softmaxCrossEntropyBackward,
} from '../tensor/softmax_cross_entropy.ts';
import { type Alloc, float32 } from './alloc.ts';

export class SoftmaxCrossEntropy {
  readonly probs: Float32Array; // (B,C)
  readonly result: LossResult = { lossSum: 0, correct: 0 };

  readonly classes: number;

  constructor(classes: number, maxBatch: number, alloc: Alloc = float32) {
    this.classes = classes;
    this.probs = alloc(maxBatch * classes);
  }

  // Returns the batch's summed loss; this.result.correct holds its hit count.
  forward(logits: Float32Array, labels: Uint8Array, B: number): number {
    softmaxCrossEntropyForward(this.probs, logits, labels, B, this.classes, this.result);
    return this.result.lossSum;
  }

  // Writes (not accumulates) dlogits of the batch-mean loss.
  backward(dlogits: Float32Array, labels: Uint8Array, B: number): void {
    softmaxCrossEntropyBackward(dlogits, this.probs, labels, B, this.classes);
  }
}
