// A digit from anywhere (a PNG, a draw-a-digit canvas) made the way MNIST's were: grey, the ink's
// bounding box scaled into 20x20 keeping its aspect ratio (averaging the pixels it covers, which
// anti-aliases like MNIST's own), then placed in the 28x28 field so that its centre of mass is the
// centre, white ink on black. Any size in, light-on-dark or dark-on-light.

export const SIDE = 28; // the MNIST field
export const BOX = 20; // the longer side of the digit's bounding box in it

// Ink below this fraction of the strongest is paper (noise, grain, a shadow): outside the bounding box.
const FAINT = 0.1;
// An image whose darkest and lightest differ by less than this holds no digit.
const MIN_CONTRAST = 0.1;

// grey is (height, width), row-major: 0 is black, `max` is white (255 for bytes, 1 for floats).
// Returns the 784 pixels in [0,1], ink 1 on a background 0, or null when there is no digit to find.
export function mnistDigit(grey: ArrayLike<number>, width: number, height: number, max = grey instanceof Float32Array ? 1 : 255): Float32Array | null {
  if (!(width > 0 && height > 0) || grey.length !== width * height) return null;
  const ink = toInk(grey, width, height, max);
  if (ink === null) return null;

  // The bounding box of everything above faint.
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] < FAINT) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
  const box = resample(ink, width, x0, y0, bw, bh, tw, th);

  // Centre of mass moved to pixel (14, 14), where MNIST's digits have theirs (on average over the
  // test set; test/digit.test.ts checks that its digits come back in place).
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x];
      mass += v; mx += v * x; my += v * y;
    }
  }
  const ox = Math.round(SIDE / 2 - mx / mass), oy = Math.round(SIDE / 2 - my / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) {
    const fy = y + oy;
    if (fy < 0 || fy >= SIDE) continue;
    for (let x = 0; x < tw; x++) {
      const fx = x + ox;
      if (fx >= 0 && fx < SIDE) out[fy * SIDE + fx] = Math.min(1, Math.max(0, box[y * tw + x]));
    }
  }
  return out;
}

// Ink in [0,1]: the background (the border's median) becomes 0, the strongest stroke 1. Dark ink on
// light paper is turned around, so the digit is white on black whichever way it came.
function toInk(grey: ArrayLike<number>, width: number, height: number, max: number): Float32Array | null {
  const n = width * height;
  const level = new Float32Array(n);
  for (let i = 0; i < n; i++) level[i] = Math.min(1, Math.max(0, grey[i] / max));
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(level[x], level[(height - 1) * width + x]);
  for (let y = 0; y < height; y++) border.push(level[y * width], level[y * width + width - 1]);
  border.sort((a, b) => a - b);
  const background = border[border.length >> 1];
  const darkInk = background > 0.5;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.max(0, darkInk ? background - level[i] : level[i] - background);
    level[i] = v;
    if (v > peak) peak = v;
  }
  if (peak < MIN_CONTRAST) return null;
  for (let i = 0; i < n; i++) level[i] /= peak;
  return level;
}

// The (bw, bh) box at (x0, y0) of a (?, width) image, scaled to (tw, th): each output pixel is the
// mean of the source area it covers, partly covered pixels weighted by their share. Rows first, then
// columns.
function resample(src: Float32Array, width: number, x0: number, y0: number, bw: number, bh: number, tw: number, th: number): Float32Array {
  const rows = new Float32Array(bh * tw);
  for (let y = 0; y < bh; y++) {
    const at = (y0 + y) * width + x0;
    for (let t = 0; t < tw; t++) rows[y * tw + t] = coverMean((i) => src[at + i], bw, tw, t);
  }
  const out = new Float32Array(th * tw);
  for (let x = 0; x < tw; x++) {
    for (let t = 0; t < th; t++) out[t * tw + x] = coverMean((i) => rows[i * tw + x], bh, th, t);
  }
  return out;
}

// Output cell t of `to` cells over `from` source cells: the mean of the source over [t, t+1) * from/to.
function coverMean(at: (i: number) => number, from: number, to: number, t: number): number {
  const step = from / to;
  const a = t * step, b = (t + 1) * step;
  let sum = 0;
  for (let i = Math.floor(a); i < Math.min(from, Math.ceil(b)); i++) {
    const overlap = Math.min(b, i + 1) - Math.max(a, i);
    if (overlap > 0) sum += at(i) * overlap;
  }
  return sum / step;
}
