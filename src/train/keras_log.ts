// Keras-style output: the verbose=1 bar for training epochs (with validation_data, the val_ metrics
// appended), the verbose=2 line for evaluation, and model.summary().
//   1875/1875 [==============================] - 17s 9ms/step - loss: 0.2918 - accuracy: 0.9158
//   1875/1875 [==============================] - 3s 2ms/step - loss: 0.2962 - accuracy: 0.9137 - val_loss: 0.1465 - val_accuracy: 0.9565
//   313/313 - 2s - loss: 0.0733 - accuracy: 0.9774 - 560ms/epoch - 2ms/step

import type { ModelShape } from '../nn/model.ts';

const BAR_WIDTH = 30;
const REDRAW_MS = 100; // at most ~10 redraws a second, so drawing never costs measurable time

// Python's '%.0f' rounds halves to even; Keras prints with it, so we do too.
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Keras' unit rule: whole seconds at or above 1 s, else ms, else us.
export function formatPerUnit(seconds: number, unit: string): string {
  if (seconds >= 1 || seconds === 0) return `${roundHalfEven(seconds)}s/${unit}`;
  if (seconds >= 1e-3) return `${roundHalfEven(seconds * 1e3)}ms/${unit}`;
  return `${roundHalfEven(seconds * 1e6)}us/${unit}`;
}

// Keras prints a metric with 4 decimals, or in exponent form when it is tiny.
export function formatMetric(value: number): string {
  return Math.abs(value) > 1e-3 ? value.toFixed(4) : value.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

function metrics(loss: number, accuracy: number): string {
  return ` - loss: ${formatMetric(loss)} - accuracy: ${formatMetric(accuracy)}`;
}

// What Keras appends to the epoch line when fit() has validation_data: ` - val_loss: 0.1465 - val_accuracy: 0.9565`.
export function validationSuffix(loss: number, accuracy: number): string {
  return ` - val_loss: ${formatMetric(loss)} - val_accuracy: ${formatMetric(accuracy)}`;
}

function bar(step: number, steps: number): string {
  const width = String(steps).length;
  const filled = Math.floor((BAR_WIDTH * step) / steps);
  let body = '';
  if (filled > 0) body += '='.repeat(filled - 1) + (step < steps ? '>' : '=');
  body += '.'.repeat(BAR_WIDTH - filled);
  return `${String(step).padStart(width)}/${steps} [${body}]`;
}

// The finished epoch: `1875/1875 [===...] - 17s 9ms/step - loss: 0.2918 - accuracy: 0.9158`.
// With a total, an epoch stopped early: `812/1875 [===========>..................] - 7s 9ms/step - ...`.
export function epochLine(steps: number, seconds: number, loss: number, accuracy: number, total = steps): string {
  if (steps === 0) return `${bar(0, total)} - 0s`;
  return `${bar(steps, total)} - ${roundHalfEven(seconds)}s ${formatPerUnit(seconds / steps, 'step')}${metrics(loss, accuracy)}`;
}

// Evaluation, Keras verbose=2: `313/313 - 2s - loss: 0.0733 - accuracy: 0.9774 - 560ms/epoch - 2ms/step`.
export function evaluationLine(steps: number, seconds: number, loss: number, accuracy: number): string {
  return `${steps}/${steps} - ${roundHalfEven(seconds)}s${metrics(loss, accuracy)} - ${formatPerUnit(seconds, 'epoch')} - ${formatPerUnit(seconds / steps, 'step')}`;
}

// Where the log goes: the CLI's stdout, a web page's log pane. isTTY: the bar may redraw in place.
export interface Output {
  isTTY?: boolean;
  write(text: string): unknown;
}

// One epoch's live bar. On a TTY it redraws in place (throttled); otherwise it prints only the final line.
export class EpochProgress {
  private lastDraw = 0;
  private readonly out: Output;
  private readonly steps: number;
  private readonly start: number;

  constructor(out: Output, steps: number, start: number) {
    this.out = out;
    this.steps = steps;
    this.start = start;
  }

  // Called after every step with the running means; cheap unless a redraw is due.
  update(step: number, now: number, loss: number, accuracy: number): void {
    if (!this.out.isTTY || now - this.lastDraw < REDRAW_MS || step >= this.steps) return;
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const eta = (elapsed / step) * (this.steps - step);
    const etaText = eta > 3600 ? `${Math.floor(eta / 3600)}:${pad2(Math.floor(eta / 60) % 60)}:${pad2(Math.floor(eta) % 60)}`
      : eta > 60 ? `${Math.floor(eta / 60)}:${pad2(Math.floor(eta) % 60)}` : `${roundHalfEven(eta)}s`;
    this.out.write(`\r${bar(step, this.steps)} - ETA: ${etaText}${metrics(loss, accuracy)}\x1b[K`);
  }

  // suffix: the validation metrics, when there are any.
  finish(seconds: number, loss: number, accuracy: number, suffix = ''): void {
    this.stopped(this.steps, seconds, loss, accuracy, suffix);
  }

  // The line for an epoch that ended after `step` of its steps (all of them, from finish).
  stopped(step: number, seconds: number, loss: number, accuracy: number, suffix = ''): void {
    this.out.write(`${this.out.isTTY ? '\r' : ''}${epochLine(step, seconds, loss, accuracy, this.steps)}${suffix}${this.out.isTTY ? '\x1b[K' : ''}\n`);
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

// model.summary() as TensorFlow 2 prints it for the beginner example's Sequential model (line length
// 65, columns at 29 and 55; trailing spaces trimmed).
export function modelSummary(shape: ModelShape): string {
  const { inputs: IN, hidden: H, classes: C } = shape;
  const dense1 = IN * H + H, dense2 = H * C + C;
  const total = dense1 + dense2;
  const row = (layer: string, output: string, params: string): string => `${layer.padEnd(29)}${output.padEnd(26)}${params}`.trimEnd();
  const thin = '_'.repeat(65), thick = '='.repeat(65);
  const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return [
    'Model: "sequential"', thin, row('Layer (type)', 'Output Shape', 'Param #'), thick,
    row('flatten (Flatten)', `(None, ${IN})`, '0'), thin,
    row('dense (Dense)', `(None, ${H})`, String(dense1)), thin,
    row('dropout (Dropout)', `(None, ${H})`, '0'), thin,
    row('dense_1 (Dense)', `(None, ${C})`, String(dense2)), thick,
    `Total params: ${grouped(total)}`, `Trainable params: ${grouped(total)}`, 'Non-trainable params: 0', thin,
  ].join('\n') + '\n';
}
