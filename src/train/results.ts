// The results folder: `--save` stores run records here, `npm run compare` reads them all back.
// Two records transcribed from the reference log (Raspberry Pi 5, Jetson Nano) live here too.

import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, linkSync, unlinkSync, renameSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from './record.ts';
import { REFERENCES, type ReferenceRun } from './report.ts';
import { UserError, EXIT } from './errors.ts';

// results/ at the project root, wherever the command is started from.
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'results');

export interface LoadedRecord {
  file: string; // the file name inside the results folder
  record: RunRecord;
}

// Lower-case words joined by '-', safe in any file system: "AMD EPYC 7B13 (2 cores)" -> "amd-epyc-7b13-2-cores".
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'unknown';
}

// <date>-<device>-<backend>-<mode>.json, so many machines' records sit side by side and sort by date.
export function recordFileName(record: RunRecord): string {
  const device = record.device ?? record.machine.cpu;
  return `${record.date.slice(0, 10) || 'undated'}-${slug(device)}-${slug(record.backend.name)}-${slug(record.backend.mode)}.json`;
}

// Writes the record under a free name (-2, -3... on repeated runs) and returns the path. The bytes go to
// a temporary file first and are then hard-linked to the final name, which fails instead of overwriting
// if the name is taken: a reader never sees half a file, and two runs never clobber each other.
export function saveRecord(dir: string, record: RunRecord, name = recordFileName(record)): string {
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    makeDir(dir);
    writeFileSync(temp, JSON.stringify(record, null, 2) + '\n', { flush: true }); // on disk before it gets a name
    for (let n = 1; ; n++) {
      const path = join(dir, n === 1 ? name : name.replace(/\.json$/, `-${n}.json`));
      try {
        linkSync(temp, path);
        return path;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  } catch (e) {
    throw new UserError(`cannot save the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  } finally {
    try { unlinkSync(temp); } catch { /* never written */ }
  }
}

// mkdir -p. Node's own recursive mkdir spins forever where a parent exists but cannot hold children
// (under /proc, through a dangling symlink), so we walk the path ourselves and stop at the first error.
function makeDir(dir: string): void {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    if (existsSync(d)) continue;
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

// Checked before training, so an unwritable results folder fails in a second, not after the run.
export function prepareResultsDir(dir: string): void {
  try {
    makeDir(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UserError(`cannot save the run record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  }
}

// Why this value is not a run record we can compare, or null when it is one.
export function recordProblem(value: unknown): string | null {
  const r = value as Partial<RunRecord> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not a run record (not a JSON object)';
  if (typeof r.schema !== 'number' || !Number.isInteger(r.schema) || r.schema < 1) return 'not a run record (no "schema" version)';
  if (typeof r.machine !== 'object' || r.machine === null || typeof r.machine.cpu !== 'string') return 'not a run record (no "machine.cpu")';
  if (typeof r.backend !== 'object' || r.backend === null || typeof r.backend.name !== 'string' || typeof r.backend.mode !== 'string') {
    return 'not a run record (no "backend" name and mode)';
  }
  if (typeof r.flags !== 'object' || r.flags === null || typeof r.flags.batchSize !== 'number') return 'not a run record (no "flags")';
  if (!Array.isArray(r.epochs) || r.epochs.length === 0) return 'no epochs in the record';
  for (const e of r.epochs) {
    if (typeof e !== 'object' || e === null || !(e.seconds > 0) || !Number.isFinite(e.seconds) || !Number.isFinite(e.msPerStep)) {
      return 'an epoch without finite "seconds" and "msPerStep"';
    }
  }
  if (typeof r.totalSeconds !== 'number' || !Number.isFinite(r.totalSeconds)) return 'no "totalSeconds"';
  if (r.test !== null && (typeof r.test !== 'object' || typeof r.test.accuracy !== 'number')) return 'a "test" without "accuracy"';
  if (r.device !== undefined && typeof r.device !== 'string') return '"device" is not a string';
  if (typeof r.date !== 'string') return 'no "date"';
  if (typeof r.backend.threads !== 'number') return 'not a run record (no "backend.threads")';
  if (r.test !== null && !Number.isFinite(r.test.accuracy)) return 'a "test" accuracy that is not a number';
  return null;
}

// Every *.json record in dir, sorted by file name. A file that is not JSON or not a run record is
// skipped with a one-line warning naming it; only a missing or unreadable folder is an error.
export function loadResults(dir: string, warn: (line: string) => void): LoadedRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch (e) {
    throw new UserError(`cannot read the results folder (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  }
  const loaded: LoadedRecord[] = [];
  for (const file of names) {
    const path = join(dir, file);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      const why = e instanceof SyntaxError ? 'not valid JSON' : `unreadable (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
      warn(`skipping ${path}: ${why}`);
      continue;
    }
    const problem = recordProblem(value);
    if (problem !== null) {
      warn(`skipping ${path}: ${problem}`);
      continue;
    }
    loaded.push({ file, record: value as RunRecord });
  }
  return loaded;
}

// The board each reference ran on (CPU from its spec sheet: the log itself names only the Jetson's GPU).
const BOARDS: Record<string, { cpu: string; mode: string; date: string; file: string }> = {
  'Raspberry Pi 5': { cpu: 'Broadcom BCM2712, Cortex-A76', mode: 'CPU', date: '', file: 'reference-raspberry-pi-5-tensorflow-cpu.json' },
  'Jetson Nano': { cpu: 'NVIDIA Tegra X1, Cortex-A57', mode: 'GPU, Tegra X1', date: '2020-12-30', file: 'reference-jetson-nano-tensorflow-gpu.json' },
};

// A reference run (report.ts holds the transcribed numbers) as a run record, marked as a reference.
export function referenceRecord(ref: ReferenceRun): LoadedRecord {
  const board = BOARDS[ref.device];
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const record: RunRecord = {
    schema: 1,
    date: board.date,
    machine: { cpu: board.cpu, cores: 4, os: 'not in the log', arch: 'arm64', node: 'none (Python)' },
    backend: { name: 'tensorflow', mode: board.mode, threads: 0 },
    flags: { epochs: ref.epochSeconds.length, batchSize: 32, learningRate: 0.001, seed: 0, limit: null },
    epochs: ref.epochSeconds.map((seconds, i) => ({
      epoch: i + 1, seconds, msPerStep: ref.msPerStep[i], loss: ref.loss[i], accuracy: ref.accuracy[i],
    })),
    test: { ...ref.test },
    totalSeconds: sum(ref.epochSeconds),
    device: ref.device,
    reference: {
      source: 'shared/reference-log.txt (Keras beginner MNIST example, TensorFlow)',
      note: 'seconds and ms/step are the whole numbers Keras printed; the log does not give the seed, threads, '
        + 'OS or (for the Pi) the date, recorded as 0 or empty; CPU and cores are from the board\'s spec sheet',
    },
  };
  return { file: board.file, record };
}

export const REFERENCE_RECORDS: LoadedRecord[] = REFERENCES.map(referenceRecord);

// (Re)writes the two reference records into dir (temp file + rename); returns their paths.
export function writeReferenceRecords(dir: string): string[] {
  return REFERENCE_RECORDS.map(({ file, record }) => {
    const path = join(dir, file);
    const temp = join(dir, `.${file}.${process.pid}.tmp`);
    try {
      makeDir(dir);
      writeFileSync(temp, JSON.stringify(record, null, 2) + '\n');
      renameSync(temp, path); // replaces the old file in one step
    } catch (e) {
      throw new UserError(`cannot write the reference record (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${path}`, EXIT.data);
    }
    return path;
  });
}
