// The comparison table behind `npm run compare`: one row per run record, timings split into the
// first epoch (which carries warm-up) and the steady state (epochs 2 and later), and speed relative
// to the Raspberry Pi 5 reference.

import type { RunRecord } from './record.ts';
import type { LoadedRecord } from './records.ts';
import { RASPBERRY_PI_5, JETSON_NANO, REFERENCES, REFERENCE_STEPS } from './report.ts';
import { comparisonSvg, type ChartSeries } from './chart.ts';

export interface CompareRow {
  file: string;
  device: string;
  backend: string; // "cpu (float32 js, 1 thread)", "tensorflow (CPU)"
  reference: boolean;
  interrupted: boolean; // Ctrl-C cut the run short: its epochs are complete, but fewer than asked for
  date: string;
  epochs: number;
  seconds: number[]; // per epoch
  partial: boolean; // --limit or a small --data set: epochs saw fewer than the 60000 images
  batchSize: number;
  firstSeconds: number;
  steadySeconds: number | null; // mean of epochs 2+, null with a single epoch
  meanSeconds: number; // mean over all epochs, what the speed ratio uses
  msPerStep: number; // mean of the epochs' ms/step
  totalSeconds: number;
  testAccuracy: number | null;
  speed: number | null; // > 1: faster than the Pi 5
  speedBasis: 'epoch' | 'step' | null;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function deviceOf(record: RunRecord): string {
  return record.device ?? record.machine.cpu;
}

export function backendOf(record: RunRecord): string {
  const { name, mode, threads } = record.backend;
  const t = threads > 0 ? `, ${threads} thread${threads === 1 ? '' : 's'}` : '';
  return `${name} (${mode}${t})`;
}

function isPiReference(r: RunRecord): boolean {
  return r.reference !== undefined && r.device === RASPBERRY_PI_5.device;
}

// References first (in the report's order), then measured runs by date.
function order(a: LoadedRecord, b: LoadedRecord): number {
  const rank = (x: LoadedRecord): number => {
    if (x.record.reference === undefined) return REFERENCES.length;
    const i = REFERENCES.findIndex((ref) => ref.device === x.record.device);
    return i < 0 ? REFERENCES.length - 0.5 : i;
  };
  return rank(a) - rank(b) || a.record.date.localeCompare(b.record.date) || a.file.localeCompare(b.file);
}

// Speed against the Pi 5: per epoch for full epochs at batch 32 (the Pi's mean, 42 s / 5 = 8.4 s);
// per step for --limit runs at batch 32 (8.4 s / 1875 steps = 4.48 ms); none for other batch sizes.
export function compareRows(loaded: LoadedRecord[]): CompareRow[] {
  const pi = loaded.find((x) => isPiReference(x.record))?.record;
  const piEpoch = pi ? pi.totalSeconds / pi.epochs.length : null;
  return [...loaded].sort(order).map(({ file, record }) => {
    const seconds = record.epochs.map((e) => e.seconds);
    // Records before trainImages existed say it only through --limit.
    const partial = record.trainImages !== undefined ? record.trainImages !== 60000 : record.flags.limit !== null && record.flags.limit !== undefined;
    const meanSeconds = mean(seconds);
    const msPerStep = mean(record.epochs.map((e) => e.msPerStep));
    let speed: number | null = null;
    let speedBasis: CompareRow['speedBasis'] = null;
    if (piEpoch !== null && record.flags.batchSize === 32) {
      if (!partial) {
        speed = piEpoch / meanSeconds;
        speedBasis = 'epoch';
      } else if (msPerStep > 0) {
        speed = (piEpoch * 1000) / REFERENCE_STEPS / msPerStep;
        speedBasis = 'step';
      }
    }
    return {
      file, device: deviceOf(record), backend: backendOf(record), reference: record.reference !== undefined, interrupted: record.interrupted === true,
      date: record.date, epochs: seconds.length, seconds, partial, batchSize: record.flags.batchSize,
      firstSeconds: seconds[0], steadySeconds: seconds.length > 1 ? mean(seconds.slice(1)) : null, meanSeconds,
      msPerStep, totalSeconds: record.totalSeconds, testAccuracy: record.test ? record.test.accuracy : null,
      speed, speedBasis,
    };
  });
}

const HEADERS = ['device', 'backend', 'epochs', '1st epoch s', 's/epoch (2+)', 'ms/step', 'total s', 'test acc', 'vs Pi 5'];

function num(x: number | null, digits: number): string {
  return x === null ? '-' : x.toFixed(digits);
}

export function rowCells(row: CompareRow): string[] {
  const epochs = [`${row.epochs}`];
  if (row.partial) epochs.push('limited');
  if (row.batchSize !== 32) epochs.push(`batch ${row.batchSize}`);
  const speed = row.speed === null ? '-' : `${row.speed.toFixed(2)}x${row.speedBasis === 'step' ? ' /step' : ''}`;
  return [
    row.reference ? `${row.device} (reference)` : row.interrupted ? `${row.device} (interrupted)` : row.device, row.backend, epochs.join(', '),
    num(row.firstSeconds, 1), num(row.steadySeconds, 1), num(row.msPerStep, 1), num(row.totalSeconds, 1),
    num(row.testAccuracy, 4), speed,
  ];
}

// Explains the columns; printed under both forms of the table.
export function tableNotes(rows: CompareRow[]): string[] {
  const notes = [
    'vs Pi 5: the Raspberry Pi 5 reference\'s mean seconds per epoch (42 s / 5 = 8.4 s) over this run\'s; above 1 is faster.',
    'Reference timings are the whole seconds and ms/step Keras printed in results/reference-log.txt.',
  ];
  if (rows.some((r) => r.speedBasis === 'step')) notes.push('/step: a run whose epochs saw fewer than 60000 images (--limit, a small --data set) is compared per step (8.4 s / 1875 steps = 4.48 ms).');
  if (!rows.some((r) => r.reference && r.device === RASPBERRY_PI_5.device)) notes.push('No Raspberry Pi 5 reference record in the folder, so no speed ratios.');
  return notes;
}

// Plain text, columns aligned, numbers right-aligned.
export function tableText(rows: CompareRow[]): string {
  const cells = [HEADERS, ...rows.map(rowCells)];
  const widths = HEADERS.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(rowCells(r)))];
  return out.join('\n') + '\n\n' + tableNotes(rows).join('\n') + '\n';
}

// The same table as Markdown, for the README.
export function tableMarkdown(rows: CompareRow[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const out = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, c) => (c < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${rowCells(r).map(esc).join(' | ')} |`),
  ];
  return out.join('\n') + '\n\n' + tableNotes(rows).map((n) => `- ${n}`).join('\n') + '\n';
}

// The references keep their boards' colours wherever they sit in the list.
const REFERENCE_COLORS: Record<string, string> = { [RASPBERRY_PI_5.device]: '#c51a4a', [JETSON_NANO.device]: '#5f9600' };

// The chart: seconds per epoch for every run of the reference recipe, whole epochs at batch 32 (a
// --limit run's epochs are partial and another batch size is another workload; the table lists both).
export function comparisonChart(rows: CompareRow[]): { svg: string | null; plotted: number } {
  const series: ChartSeries[] = rows.filter((r) => !r.partial && r.batchSize === 32).map((r) => ({
    label: `${r.device} — ${r.backend} — ${r.reference ? 'reference' : r.date.slice(0, 10)} — mean ${r.meanSeconds.toFixed(1)} s/epoch`,
    reference: r.reference,
    color: r.reference ? REFERENCE_COLORS[r.device] : undefined,
    values: r.seconds,
  }));
  if (series.length === 0) return { svg: null, plotted: 0 };
  const svg = comparisonSvg(
    series,
    'MNIST training time per epoch, Keras beginner example (lower is faster)',
    [
      'Flatten → Dense(128, ReLU) → Dropout(0.2) → Dense(10), Adam, batch 32: 1875 steps per epoch.',
      'Dashed lines, hollow markers: reference runs (TensorFlow) transcribed from results/reference-log.txt.',
    ],
  );
  return { svg, plotted: series.length };
}
