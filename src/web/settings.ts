// The page's settings: the form and the URL share them, so a link to a run (?backend=gpujs&epochs=5)
// opens the same run on another device. Every value is checked; a bad one is a one-line message.

export type WebBackend = 'cpu' | 'webgl2' | 'webgl' | 'gpujs-cpu';

export interface WebSettings {
  backend: WebBackend; // CPU threads (the threaded engine in Web Workers), or gpu.js in one of its browser modes
  threads: number; // cpu only: training threads, thread 0 included
  kernels: 'fast' | 'naive' | 'simd'; // cpu only
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit: number | null; // the first N training images; null = all 60000
  hidden: number; // units in the hidden layer (the Keras model: 128)
  dropout: number; // its dropout rate, 0 for none (the Keras model: 0.2)
  autostart: boolean;
}

export const MAX_THREADS = 16; // the threaded engine's most: one 8-unit block of the 128 hidden units each

export function defaultSettings(cores: number): WebSettings {
  return {
    backend: 'cpu', threads: Math.max(1, Math.min(cores, MAX_THREADS)), kernels: 'fast',
    epochs: 5, batchSize: 32, learningRate: 0.001, seed: 1, limit: null, hidden: 128, dropout: 0.2, autostart: false,
  };
}

// URL parameter -> its check. Names follow the CLI's flags where they have one.
const PARAMS: Record<string, (raw: string, s: WebSettings) => void> = {
  backend: (raw, s) => { s.backend = oneOf(raw, ['cpu', 'webgl2', 'webgl', 'gpujs-cpu'], 'backend'); },
  threads: (raw, s) => { s.threads = int(raw, 'threads', 1, MAX_THREADS); },
  kernels: (raw, s) => { s.kernels = oneOf(raw, ['fast', 'naive', 'simd'], 'kernels'); },
  epochs: (raw, s) => { s.epochs = int(raw, 'epochs', 1, 1000); },
  batch: (raw, s) => { s.batchSize = int(raw, 'batch', 1, 60000); },
  lr: (raw, s) => { s.learningRate = positive(raw, 'lr'); },
  seed: (raw, s) => { s.seed = int(raw, 'seed', 0, 0xffffffff); },
  limit: (raw, s) => { s.limit = raw === '' || raw === 'all' ? null : int(raw, 'limit', 1, 60000); },
  hidden: (raw, s) => { s.hidden = int(raw, 'hidden', 1, 4096); },
  dropout: (raw, s) => {
    const p = Number(raw);
    if (raw.trim() === '' || !(p >= 0 && p < 1)) throw new SettingsError(`URL parameter dropout expects a rate 0 <= P < 1, got "${raw}"`);
    s.dropout = p;
  },
  autostart: (raw, s) => { s.autostart = oneOf(raw, ['0', '1'], 'autostart') === '1'; },
};

export class SettingsError extends Error {}

// Settings from a query string ('?epochs=1&seed=3'); unknown or malformed parameters throw.
export function parseSettings(query: string, cores: number): WebSettings {
  const s = defaultSettings(cores);
  const seen = new Set<string>();
  for (const [name, raw] of new URLSearchParams(query)) {
    const check = Object.hasOwn(PARAMS, name) ? PARAMS[name] : undefined;
    if (check === undefined) throw new SettingsError(`unknown URL parameter "${name}" (known: ${Object.keys(PARAMS).join(', ')})`);
    if (seen.has(name)) throw new SettingsError(`URL parameter ${name} given more than once`);
    seen.add(name);
    check(raw, s);
  }
  return s;
}

// The query string for these settings: only what differs from the defaults, in a fixed order.
export function settingsQuery(s: WebSettings, cores: number): string {
  const d = defaultSettings(cores);
  const parts: [string, string][] = [];
  if (s.backend !== d.backend) parts.push(['backend', s.backend]);
  if (s.backend === 'cpu' && s.threads !== d.threads) parts.push(['threads', String(s.threads)]);
  if (s.backend === 'cpu' && s.kernels !== d.kernels) parts.push(['kernels', s.kernels]);
  if (s.epochs !== d.epochs) parts.push(['epochs', String(s.epochs)]);
  if (s.batchSize !== d.batchSize) parts.push(['batch', String(s.batchSize)]);
  if (s.learningRate !== d.learningRate) parts.push(['lr', String(s.learningRate)]);
  if (s.seed !== d.seed) parts.push(['seed', String(s.seed)]);
  if (s.limit !== null) parts.push(['limit', String(s.limit)]);
  if (s.hidden !== d.hidden) parts.push(['hidden', String(s.hidden)]);
  if (s.dropout !== d.dropout) parts.push(['dropout', String(s.dropout)]);
  if (s.autostart) parts.push(['autostart', '1']);
  return parts.length === 0 ? '' : `?${new URLSearchParams(parts).toString()}`;
}

function int(raw: string, name: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new SettingsError(`URL parameter ${name} expects an integer ${min}..${max}, got "${raw}"`);
  return n;
}

function positive(raw: string, name: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new SettingsError(`URL parameter ${name} expects a positive number, got "${raw}"`);
  return n;
}

function oneOf<T extends string>(raw: string, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new SettingsError(`URL parameter ${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}
