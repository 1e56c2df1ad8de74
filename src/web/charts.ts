// Live curves on a canvas: a training metric per step (the batch values recovered from Keras's
// running means, then smoothed), each epoch's mean as a dot, and the test value at the end.

export interface Curve {
  steps: number[]; // global step (epoch - 1) * stepsPerEpoch + step
  smooth: number[]; // exponentially smoothed batch values
  epochs: { step: number; value: number }[]; // epoch means at their last step
  test: number | null;
}

const ALPHA = 0.05; // smoothing: about the last 20 batches

export function newCurve(): Curve {
  return { steps: [], smooth: [], epochs: [], test: null };
}

// Adds one epoch's [step, runningMean] pairs; batch k's own value is k*m_k - (k-1)*m_(k-1).
export function addRunningMeans(curve: Curve, offset: number, pairs: [number, number][], last: { step: number; mean: number }): void {
  for (const [step, mean] of pairs) {
    const value = step === 1 || last.step !== step - 1 ? mean : step * mean - (step - 1) * last.mean;
    last.step = step;
    last.mean = mean;
    const prev = curve.smooth.length > 0 ? curve.smooth[curve.smooth.length - 1] : value;
    curve.steps.push(offset + step);
    curve.smooth.push(curve.smooth.length === 0 ? value : prev + ALPHA * (value - prev));
  }
}

export function drawCurve(canvas: HTMLCanvasElement, curve: Curve, title: string, totalSteps: number, range: [number, number] | null): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const w = canvas.width, h = canvas.height, pad = { l: 44, r: 10, t: 20, b: 22 };
  ctx.clearRect(0, 0, w, h);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#333';
  ctx.fillText(title, pad.l, 14);
  const values = [...curve.smooth, ...curve.epochs.map((e) => e.value), ...(curve.test === null ? [] : [curve.test])];
  if (values.length === 0) return;
  let [lo, hi] = range ?? [Math.min(...values), Math.max(...values)];
  if (range === null) { lo = Math.max(0, lo - 0.05 * (hi - lo)); hi += 0.05 * (hi - lo) || 1; }
  const x = (step: number) => pad.l + ((w - pad.l - pad.r) * step) / Math.max(totalSteps, 1);
  const y = (v: number) => h - pad.b - ((h - pad.t - pad.b) * (Math.min(hi, Math.max(lo, v)) - lo)) / (hi - lo || 1);
  ctx.strokeStyle = '#ccc';
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t); ctx.lineTo(pad.l, h - pad.b); ctx.lineTo(w - pad.r, h - pad.b);
  ctx.stroke();
  ctx.fillStyle = '#666';
  for (const v of [lo, (lo + hi) / 2, hi]) ctx.fillText(v.toFixed(v < 1 && hi <= 1.5 ? 3 : 2), 2, y(v) + 4);
  ctx.fillText('steps', w - pad.r - 34, h - 6);
  ctx.strokeStyle = '#1f6feb';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  curve.steps.forEach((s, i) => (i === 0 ? ctx.moveTo(x(s), y(curve.smooth[i])) : ctx.lineTo(x(s), y(curve.smooth[i]))));
  ctx.stroke();
  ctx.fillStyle = '#d1242f';
  for (const e of curve.epochs) { ctx.beginPath(); ctx.arc(x(e.step), y(e.value), 3.5, 0, 2 * Math.PI); ctx.fill(); }
  if (curve.test !== null) {
    ctx.strokeStyle = '#1a7f37';
    ctx.setLineDash([5, 4]);
    ctx.beginPath(); ctx.moveTo(pad.l, y(curve.test)); ctx.lineTo(w - pad.r, y(curve.test)); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#1a7f37';
    ctx.fillText(`test ${curve.test.toFixed(4)}`, w - pad.r - 80, y(curve.test) - 4);
  }
}
