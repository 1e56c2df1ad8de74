// A handwritten digit made into an MNIST input the way MNIST itself was made: the digit's bounding
// box scaled (aspect kept) to fit 20x20, then placed in 28x28 so that its centre of mass is at the
// centre, white ink on black, values in [0,1].

export const SIDE = 28;
const BOX = 20;

// ink is (height, width), row-major, 0 for background and up to 1 for ink (any size). Returns the
// (28*28) input, or null when there is no ink at all.
export function mnistDigit(ink: ArrayLike<number>, width: number, height: number): Float32Array | null {
  let peak = 0;
  for (let i = 0; i < width * height; i++) peak = Math.max(peak, ink[i]);
  if (!(peak > 0)) return null;
  // Bounding box of what is clearly ink (a tenth of the darkest), so faint noise does not stretch it.
  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] < peak * 0.1) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  const boxW = x1 - x0 + 1, boxH = y1 - y0 + 1;
  const scale = BOX / Math.max(boxW, boxH);
  const w = Math.max(1, Math.round(boxW * scale)), h = Math.max(1, Math.round(boxH * scale));
  // Area-average the box into (h, w): each output pixel is the mean of 4x4 samples of its footprint.
  const small = new Float32Array(w * h);
  const S = 4;
  for (let oy = 0; oy < h; oy++) {
    for (let ox = 0; ox < w; ox++) {
      let sum = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = Math.min(width - 1, Math.floor(x0 + ((ox + (sx + 0.5) / S) * boxW) / w));
          const y = Math.min(height - 1, Math.floor(y0 + ((oy + (sy + 0.5) / S) * boxH) / h));
          sum += ink[y * width + x];
        }
      }
      small[oy * w + ox] = sum / (S * S * peak);
    }
  }
  // Centre of mass of the scaled digit, moved to the middle of the 28x28 field.
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { const v = small[y * w + x]; mass += v; cx += v * x; cy += v * y; }
  const dx = Math.round(SIDE / 2 - cx / mass), dy = Math.round(SIDE / 2 - cy / mass); // at (14, 14), as in MNIST
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const tx = x + dx, ty = y + dy;
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) out[ty * SIDE + tx] = Math.min(1, small[y * w + x]);
    }
  }
  return out;
}
