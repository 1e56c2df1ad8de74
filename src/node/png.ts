// PNG images for `npm run predict`: read and decoded with pngjs (any bit depth, palette, grey or
// colour, with or without alpha), as one grey level per pixel. Any problem is a one-line DataError
// naming the file.

import { readFileSync, statSync } from 'node:fs';
import pngjs from 'pngjs';
import { DataError } from '../train/errors.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface GreyImage {
  width: number;
  height: number;
  grey: Float32Array; // (height, width) row-major, 0 black .. 1 white
}

export function readPng(path: string): GreyImage {
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new DataError('expected a PNG image, found something that is not a regular file', path);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read the image (${(e as NodeJS.ErrnoException).code ?? 'error'})`, path);
  }
  if (bytes.length === 0) throw new DataError('the image file is empty', path);
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new DataError('not a PNG image (it does not start with the PNG signature)', path);
  }
  let png: { width: number; height: number; data: Buffer };
  try {
    png = pngjs.PNG.sync.read(bytes);
  } catch (e) {
    throw new DataError(`corrupt or truncated PNG (${String((e as Error).message ?? e).split('\n')[0]})`, path);
  }
  const { width, height, data } = png;
  if (width === 0 || height === 0) throw new DataError('the image is empty (no pixels)', path);
  return { width, height, grey: toGrey(data, width * height) };
}

// RGBA bytes to grey (Rec. 601 luma). Transparent pixels show the colour that contrasts with the
// opaque ones: a canvas's dark strokes on nothing become dark on white, light strokes light on black.
export function toGrey(rgba: Uint8Array, n: number): Float32Array {
  const grey = new Float32Array(n);
  let opaque = 0, light = 0;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    grey[i] = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    opaque += a;
    light += a * grey[i];
  }
  const behind = opaque > 0 && light / opaque > 0.5 ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    grey[i] = a * grey[i] + (1 - a) * behind;
  }
  return grey;
}
