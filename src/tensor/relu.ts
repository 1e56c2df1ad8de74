// ReLU, elementwise over n values: out = max(0, inp).

export function reluForward(out: Float32Array, inp: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : 0;
}

// Backward, accumulating: dinp += dout where inp > 0.
// In the forward pass out[i] = max(0, inp[i]), which depends on inp[i] alone, with
//   ∂out[i]/∂inp[i] = 1 where inp[i] > 0, and 0 where inp[i] < 0,
// so the chain rule gives dL/dinp[i] = dL/dout[i] · ∂out[i]/∂inp[i] = dout[i] · [inp[i] > 0].
// At inp[i] = 0 (the kink) there is no derivative; we take 0 there, as TensorFlow does.
export function reluBackward(dinp: Float32Array, dout: Float32Array, inp: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) if (inp[i] > 0) dinp[i] += dout[i];
}
