// Model files on disk: written whole or not at all, read back with every check of their format.
// Two formats, told apart by the name: FILE.json is the TensorFlow.js Layers format (model.json and
// FILE.weights.bin beside it, src/train/results/tfjs_format.ts), anything else the native file
// (src/train/results/model_format.ts).

import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ModelShape } from '../nn/model.ts';
import { DataError } from '../train/errors.ts';
import { encodeModel, parseModel, parseModelAnyHidden } from '../train/results/model_format.ts';
import { encodeTfjsModel, parseTfjsModel } from '../train/results/tfjs_format.ts';
import { writeFileAtomic } from './files.ts';

export function isTfjsPath(path: string): boolean {
  return path.toLowerCase().endsWith('.json');
}

// The native file; with a .json name, model.json plus its weights file in the same folder (the
// weights first, so a model.json on disk always has its weights).
export function saveModel(path: string, shape: ModelShape, params: Float32Array): void {
  if (!isTfjsPath(path)) {
    writeFileAtomic(path, encodeModel(shape, params));
    return;
  }
  const { json, weights } = encodeTfjsModel(shape, params, 'mnist-ts', tfjsWeightsFile(path));
  writeFileAtomic(join(dirname(path), tfjsWeightsFile(path)), weights);
  writeFileAtomic(path, json);
}

// The binary beside FILE.json: FILE.weights.bin, so that two models in one folder keep their own.
export function tfjsWeightsFile(path: string): string {
  return `${basename(path, '.json')}.weights.bin`;
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new DataError(`expected a ${what}, found a directory`, path);
    if (!st.isFile()) throw new DataError(`expected a ${what}, found something that is not a regular file`, path);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, path);
  }
}

// Reads and checks a native model file for this shape; any problem is a one-line DataError naming the file.
export function loadModel(path: string, shape: ModelShape): Float32Array {
  return parseModel(readBytes(path, 'model file'), path, shape);
}

// Either format, any hidden size: the network the file describes, and its weights.
export function loadAnyModel(path: string): { shape: ModelShape; params: Float32Array } {
  if (!isTfjsPath(path)) return parseModelAnyHidden(readBytes(path, 'model file'), path);
  const text = new TextDecoder().decode(readBytes(path, 'model file'));
  return parseTfjsModel(text, path, (relative) => {
    const file = join(dirname(path), relative);
    return { bytes: readBytes(file, 'weights file'), path: file };
  });
}
