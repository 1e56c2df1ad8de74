// Sparse softmax cross-entropy from logits: logits is (B,C), labels is (B) class indices,
// probs is (B,C). loss_b = logsumexp(logits_b) - logits_b[label_b], averaged over the batch.

export interface LossResult {
  lossSum: number; // Σ_b loss_b, in float64 (the caller divides by B for the mean)
  correct: number; // how many rows have argmax(logits) == label
}

// Forward: fills probs (needed by backward) and returns the summed loss and the hit count.
export function softmaxCrossEntropyForward(
  probs: Float32Array, logits: Float32Array, labels: Uint8Array, B: number, C: number, result: LossResult,
): void {
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    const row = b * C;
    let max = logits[row];
    let argmax = 0;
    for (let c = 1; c < C; c++) {
      if (logits[row + c] > max) { max = logits[row + c]; argmax = c; }
    }
    // Subtract the row max so exp never overflows; the largest term becomes exp(0) = 1. The result
    // is the same: log Σ_c exp(z_c) = m + log Σ_c exp(z_c - m) for any m.
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[row + c] - max);
    const logSumExp = max + Math.log(sum);
    for (let c = 0; c < C; c++) probs[row + c] = Math.exp(logits[row + c] - logSumExp);
    lossSum += logSumExp - logits[row + labels[b]];
    if (argmax === labels[b]) correct++;
  }
  result.lossSum = lossSum;
  result.correct = correct;
}

// Backward of the batch-mean loss: dlogits[b,c] = (probs[b,c] - [c == label_b]) / B.
// In the forward pass loss_b = log Σ_c' exp(logits[b,c']) - logits[b,label_b]. The derivative of the
// log-sum-exp is the softmax, and that of the second term is 1 at the label only:
//   ∂loss_b/∂logits[b,c] = exp(logits[b,c]) / Σ_c' exp(logits[b,c']) - [c == label_b] = probs[b,c] - onehot[b,c].
// Row b's loss depends on row b's logits only, and L = (1/B) Σ_b loss_b, so dL/dlogits[b,c] carries the 1/B.
// It writes rather than accumulates: the loss is where the backward pass starts.
export function softmaxCrossEntropyBackward(
  dlogits: Float32Array, probs: Float32Array, labels: Uint8Array, B: number, C: number,
): void {
  const invB = 1 / B;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const i = b * C + c;
      dlogits[i] = (probs[i] - (c === labels[b] ? 1 : 0)) * invB;
    }
  }
}

// The predicted class of each row, logits is (B,C): argmax into out[offset..offset+B). The first
// maximum wins, as in the forward above, so the predictions agree with its hit count.
export function argmaxRows(out: Uint8Array, offset: number, logits: ArrayLike<number>, B: number, C: number): void {
  for (let b = 0; b < B; b++) {
    const row = b * C;
    let max = logits[row];
    let argmax = 0;
    for (let c = 1; c < C; c++) {
      if (logits[row + c] > max) { max = logits[row + c]; argmax = c; }
    }
    out[offset + b] = argmax;
  }
}
