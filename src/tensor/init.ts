// Weight initialisation: Glorot (Xavier) uniform, as Keras' Dense uses by default.

import { type Rng, nextFloat } from './rng.ts';

// weight is (fanIn, fanOut); every element ~ U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)),
// which keeps the variance of activations and gradients about equal across the layer.
export function glorotUniform(weight: Float32Array, fanIn: number, fanOut: number, rng: Rng): void {
  if (weight.length !== fanIn * fanOut) throw new Error(`glorotUniform: weight has ${weight.length} elements, expected ${fanIn}x${fanOut}`);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < weight.length; i++) weight[i] = (2 * nextFloat(rng) - 1) * limit;
}
