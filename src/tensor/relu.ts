// ReLU, elementwise over n values: out = max(0, inp).

export function reluForward(out: Float32Array, inp: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0;
}

// Backward, accumulating: dinp += dout where inp > 0 (the kink at 0 takes gradient 0, as TensorFlow does).
export function reluBackward(dinp: Float32Array, dout: Float32Array, inp: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) if (inp[i] > 0) dinp[i] += dout[i];
}
