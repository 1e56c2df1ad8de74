// Keras-style progress output: the verbose=1 bar for training epochs, the verbose=2 line for evaluation.
//   1875/1875 [==============================] - 17s 9ms/step - loss: 0.2918 - accuracy: 0.9158
//   313/313 - 2s - loss: 0.0733 - accuracy: 0.9774 - 560ms/epoch - 2ms/step

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

  finish(seconds: number, loss: number, accuracy: number): void {
    this.stopped(this.steps, seconds, loss, accuracy);
  }

  // The line for an epoch that ended after `step` of its steps (all of them, from finish).
  stopped(step: number, seconds: number, loss: number, accuracy: number): void {
    this.out.write(`${this.out.isTTY ? '\r' : ''}${epochLine(step, seconds, loss, accuracy, this.steps)}${this.out.isTTY ? '\x1b[K' : ''}\n`);
  }
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
