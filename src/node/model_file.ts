// Model files on disk: written whole or not at all, read back with every check of parseModel.

import { readFileSync, statSync } from 'node:fs';
import type { ModelShape } from '../nn/model.ts';
import { DataError } from '../train/errors.ts';
import { encodeModel, parseModel } from '../train/results/model_format.ts';
import { writeFileAtomic } from './files.ts';

export function saveModel(path: string, shape: ModelShape, params: Float32Array): void {
  writeFileAtomic(path, encodeModel(shape, params));
}

// Reads and checks a model file for this shape; any problem is a one-line DataError naming the file.
export function loadModel(path: string, shape: ModelShape): Float32Array {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new DataError('expected a model file, found a directory', path);
    if (!st.isFile()) throw new DataError('expected a model file, found something that is not a regular file', path);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read the model file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, path);
  }
  return parseModel(bytes, path, shape);
}

