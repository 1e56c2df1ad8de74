// The comparison table behind `npm run compare`: one row per run record, timings split into the
// first epoch (which carries warm-up) and the steady state (epochs 2 and later), and speed relative
// to the Raspberry Pi 5 reference.

import type { RunRecord } from './record.ts';
import type { LoadedRecord } from './records.ts';
import { RASPBERRY_PI_5, JETSON_NANO, REFERENCES } from './report.ts';
import { speedAgainst, REFERENCE_STEPS } from './speed.ts';
import { comparisonSvg, type ChartSeries } from './chart.ts';

export interface CompareRow {
  file: string;
  device: string;
  backend: string; // "cpu (float32 js, 1 thread)", "tensorflow (CPU)"
  reference: boolean;
  yours: boolean; // from the user's own results folder, not shipped with the project
  interrupted: boolean; // Ctrl-C cut the run short: its epochs are complete, but fewer than asked for
  date: string;
  epochs: number;
  seconds: number[]; // per epoch
  partial: boolean; // --limit or a small --data set: epochs saw fewer than the 60000 images
  batchSize: number;
  firstSeconds: number;
  steadySeconds: number | null; // mean of epochs 2+, null with a single epoch
  meanSeconds: number; // mean over all epochs
  msPerStep: number; // mean of the epochs' ms/step
  totalSeconds: number;
  testAccuracy: number | null;
  speed: number | null; // > 1: faster than the Pi 5
  speedBasis: 'epoch' | 'step' | null;
  speedFrom: 'steady' | 'first' | null; // epochs 2+ against the Pi's 2-5, or a lone epoch against its first (speed.ts)
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

// Speed against the Pi 5 by the rule in speed.ts: steady epochs (2+) against the Pi's steady ones,
// per epoch for whole epochs at batch 32, per step for --limit runs; a lone whole epoch against the
// Pi's first; a lone partial epoch (mostly warm-up) and other batch sizes not at all.
export function compareRows(loaded: LoadedRecord[]): CompareRow[] {
  const pi = loaded.find((x) => isPiReference(x.record))?.record;
  return [...loaded].sort(order).map(({ file, record, yours }) => {
    const seconds = record.epochs.map((e) => e.seconds);
    // Records before trainImages existed say it only through --limit.
    const partial = record.trainImages !== undefined ? record.trainImages !== 60000 : record.flags.limit !== null && record.flags.limit !== undefined;
    const s = pi ? speedAgainst(record.epochs, partial, record.flags.batchSize, pi.epochs.map((e) => e.seconds)) : null;
    const compared = s !== null && s.ratio !== null;
    return {
      file, device: deviceOf(record), backend: backendOf(record), reference: record.reference !== undefined, yours: yours === true,
      interrupted: record.interrupted === true, date: record.date, epochs: seconds.length, seconds, partial, batchSize: record.flags.batchSize,
      firstSeconds: seconds[0], steadySeconds: seconds.length > 1 ? mean(seconds.slice(1)) : null, meanSeconds: mean(seconds),
      msPerStep: mean(record.epochs.map((e) => e.msPerStep)), totalSeconds: record.totalSeconds, testAccuracy: record.test ? record.test.accuracy : null,
      speed: compared ? s.ratio : null, speedBasis: compared ? (s.perStep ? 'step' : 'epoch') : null,
      speedFrom: compared ? (s.basis === 'steady' ? 'steady' : 'first') : null,
    };
  });
}

const HEADERS = ['device', 'backend', 'date', 'epochs', '1st epoch s', 's/epoch (2+)', 'ms/step', 'total s', 'test acc', 'vs Pi 5'];

function num(x: number | null, digits: number): string {
  return x === null ? '-' : x.toFixed(digits);
}

export function rowCells(row: CompareRow): string[] {
  const epochs = [`${row.epochs}`];
  if (row.partial) epochs.push('limited');
  if (row.batchSize !== 32) epochs.push(`batch ${row.batchSize}`);
  const speed = row.speed === null ? '-' : `${row.speed.toFixed(2)}x${row.speedBasis === 'step' ? ' /step' : ''}${row.speedFrom === 'first' ? ' 1st' : ''}`;
  const marks = [row.reference ? 'reference' : null, row.yours ? 'yours' : null, row.interrupted ? 'interrupted' : null].filter((m) => m !== null);
  return [
    marks.length > 0 ? `${row.device} (${marks.join(', ')})` : row.device, row.backend, row.date.slice(0, 10) || '-', epochs.join(', '),
    num(row.firstSeconds, 1), num(row.steadySeconds, 1), num(row.msPerStep, 1), num(row.totalSeconds, 1),
    num(row.testAccuracy, 4), speed,
  ];
}

// Explains the columns; printed under both forms of the table.
export function tableNotes(rows: CompareRow[]): string[] {
  const notes = [
    'vs Pi 5: the Raspberry Pi 5 reference\'s steady seconds per epoch (its epochs 2-5: 8.0 s) over this run\'s epochs 2 and later; above 1 is faster.',
    'Reference timings are the whole seconds and ms/step Keras printed in results/reference-log.txt.',
  ];
  if (rows.some((r) => r.speedBasis === 'step')) notes.push(`/step: a run whose epochs saw fewer than 60000 images (--limit, a small --data set) is compared per step (8.0 s / ${REFERENCE_STEPS} steps = 4.27 ms).`);
  if (rows.some((r) => r.speedFrom === 'first')) notes.push('1st: a run of one epoch, compared with the Pi\'s first epoch (10 s), warm-up included on both sides; run 2 or more epochs for the steady figure.');
  if (rows.some((r) => r.speed === null && r.partial && r.epochs === 1 && r.batchSize === 32)) notes.push('-: one partial epoch is mostly warm-up, so it gets no ratio; run 2 or more epochs.');
  if (rows.some((r) => r.yours)) notes.push('yours: a run saved on this checkout (results/local/, not part of the project\'s published results).');
  if (!rows.some((r) => r.reference && r.device === RASPBERRY_PI_5.device)) notes.push('No Raspberry Pi 5 reference record in the folder, so no speed ratios.');
  return notes;
}

// Plain text, columns aligned, numbers right-aligned.
export function tableText(rows: CompareRow[]): string {
  const cells = [HEADERS, ...rows.map(rowCells)];
  const widths = HEADERS.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(rowCells(r)))];
  return out.join('\n') + '\n\n' + tableNotes(rows).join('\n') + '\n';
}

// The same table as Markdown, for the README.
export function tableMarkdown(rows: CompareRow[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const out = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, c) => (c < 3 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${rowCells(r).map(esc).join(' | ')} |`),
  ];
  return out.join('\n') + '\n\n' + tableNotes(rows).map((n) => `- ${n}`).join('\n') + '\n';
}

// The references keep their boards' colours wherever they sit in the list.
const REFERENCE_COLORS: Record<string, string> = { [RASPBERRY_PI_5.device]: '#c51a4a', [JETSON_NANO.device]: '#5f9600' };

// The chart: seconds per epoch for every run of the reference recipe, whole epochs at batch 32 (a
// --limit run's epochs are partial and another batch size is another workload; the table lists both).
// The legend runs from the fastest to the slowest (steady seconds per epoch, else the lone epoch's).
export function comparisonChart(rows: CompareRow[]): { svg: string | null; plotted: number } {
  const pace = (r: CompareRow): number => r.steadySeconds ?? r.firstSeconds;
  const plotted = rows.filter((r) => !r.partial && r.batchSize === 32).sort((a, b) => pace(a) - pace(b));
  const series: ChartSeries[] = plotted.map((r) => ({
    label: `${r.device} — ${r.backend} — ${r.reference ? 'reference' : `${r.date.slice(0, 10)}${r.yours ? ', yours' : ''}`} — `
      + `${r.steadySeconds === null ? `1 epoch: ${r.firstSeconds.toFixed(1)} s` : `epochs 2+: ${r.steadySeconds.toFixed(1)} s/epoch`}`,
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
      'Hollow markers, long dashes: reference runs (TensorFlow) transcribed from results/reference-log.txt. Legend: fastest first.',
    ],
  );
  return { svg, plotted: series.length };
}
