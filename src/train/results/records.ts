// Run records as files: their names, the check that a JSON value is one, and the two records
// transcribed from the reference log (Raspberry Pi 5, Jetson Nano). The Node host keeps them in
// results/ (src/node/results_dir.ts); a web page offers its record as a download.

import type { RunRecord } from './record.ts';
import { REFERENCES, type ReferenceRun } from './report.ts';

export interface LoadedRecord {
  file: string; // the file name inside the results folder
  record: RunRecord;
  yours?: boolean; // read from the user's own folder (results/local/), not the project's results/
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
      source: 'results/reference-log.txt (Keras beginner MNIST example, TensorFlow)',
      note: 'seconds and ms/step are the whole numbers Keras printed; the log does not give the seed, threads, '
        + 'OS or (for the Pi) the date, recorded as 0 or empty; CPU and cores are from the board\'s spec sheet',
    },
  };
  return { file: board.file, record };
}

export const REFERENCE_RECORDS: LoadedRecord[] = REFERENCES.map(referenceRecord);

