// Batching: gather B shuffled examples into reused buffers, scaling pixels to [0,1] on the way.
// Images stay as bytes (47 MB for the training set, not 188 MB as float32); scaling one batch
// costs about 25k table lookups, nothing next to the matmuls it feeds.

export const PIXELS = 784;

// PIXEL_SCALE[v] = v / 255 rounded to float32, exactly what Keras' x_train / 255.0 gives the model.
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

// x is (B,PIXELS), y is (B); order[start..start+B) picks the examples.
export function fillBatch(
  x: Float32Array, y: Uint8Array, images: Uint8Array, labels: Uint8Array,
  order: Uint32Array, start: number, B: number,
): void {
  for (let b = 0; b < B; b++) {
    const example = order[start + b];
    const src = example * PIXELS;
    const dst = b * PIXELS;
    for (let p = 0; p < PIXELS; p++) x[dst + p] = PIXEL_SCALE[images[src + p]];
    y[b] = labels[example];
  }
}
