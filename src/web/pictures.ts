// What the network learned, as pictures: the hidden units' input weights as 28x28 tiles, the
// confusion matrix, misclassified test digits, and a pad to draw a digit for it to read.

import { mnistDigit, SIDE } from '../train/data/digit.ts';
import type { Evaluation } from './protocol.ts';

// Paints a (28*28) image of values into a 28x28 canvas; diverging blue/red when signed.
function paint(canvas: HTMLCanvasElement, values: ArrayLike<number>, signed: boolean, scale = 1): void {
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    const v = Math.max(-1, Math.min(1, values[p] / scale));
    const [r, g, b] = signed ? (v >= 0 ? [255, 255 * (1 - v), 255 * (1 - v)] : [255 * (1 + v), 255 * (1 + v), 255]) : [255 * v, 255 * v, 255 * v];
    image.data.set([r, g, b, 255], 4 * p);
  }
  ctx.putImageData(image, 0, 0);
}

function tileCanvas(title: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = SIDE;
  c.title = title;
  return c;
}

// W1 and initial are (784, H): unit j's tile is column j of W1 - initial, what training has taught
// the unit so far (the random initialisation hides it otherwise). Red: the pixel now excites the
// unit more; blue: less.
export function drawTiles(container: HTMLElement, W1: Float32Array, initial: Float32Array, hidden: number): void {
  const units = document.getElementById('units');
  if (units) units.textContent = String(hidden);
  if (container.childElementCount !== hidden) {
    container.replaceChildren(...Array.from({ length: hidden }, (_, j) => tileCanvas(`hidden unit ${j}`)));
  }
  const column = new Float32Array(SIDE * SIDE);
  container.querySelectorAll('canvas').forEach((canvas, j) => {
    let peak = 1e-6;
    for (let p = 0; p < SIDE * SIDE; p++) { column[p] = W1[p * hidden + j] - initial[p * hidden + j]; peak = Math.max(peak, Math.abs(column[p])); }
    paint(canvas, column, true, peak);
  });
}

export function drawConfusion(table: HTMLTableElement, evaluation: Evaluation): void {
  const { confusion } = evaluation;
  const max = Math.max(...confusion.flatMap((row, t) => row.filter((_, p) => p !== t)), 1);
  const head = `<tr><th>true \\ predicted</th>${confusion.map((_, p) => `<th>${p}</th>`).join('')}<th>recall</th></tr>`;
  const rows = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((n, p) => {
      const shade = p === t ? 'rgba(26,127,55,0.25)' : `rgba(209,36,47,${(0.6 * n) / max})`;
      return `<td style="background:${shade}">${n}</td>`;
    });
    return `<tr><th>${t}</th>${cells.join('')}<td>${total > 0 ? (row[t] / total).toFixed(3) : '-'}</td></tr>`;
  });
  table.innerHTML = head + rows.join('');
}

export function drawWrong(container: HTMLElement, evaluation: Evaluation): void {
  container.replaceChildren(...evaluation.wrong.map(({ index, label, predicted, pixels }) => {
    const figure = document.createElement('figure');
    const canvas = tileCanvas(`test image ${index}`);
    paint(canvas, Float32Array.from(pixels, (v) => v / 255), false);
    const caption = document.createElement('figcaption');
    caption.textContent = `${label} read as ${predicted}`;
    figure.append(canvas, caption);
    return figure;
  }));
}

// A drawing pad: white ink on black, read back as an MNIST input when a stroke ends.
export class DrawPad {
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  onDigit: ((input: Float32Array | null) => void) | null = null;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    const at = (e: PointerEvent): [number, number] => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
    };
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      this.ctx.beginPath();
      this.ctx.moveTo(...at(e));
      this.ctx.lineTo(...at(e));
      this.ctx.stroke();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      this.ctx.lineTo(...at(e));
      this.ctx.stroke();
    });
    const end = () => { if (this.drawing) { this.drawing = false; this.read(); } };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 14;
    ctx.lineCap = ctx.lineJoin = 'round';
    this.onDigit?.(null);
  }

  // Puts a 28x28 image (values 0..1) on the pad, scaled up: what a person would draw, for tests.
  show(pixels: ArrayLike<number>): void {
    const { ctx, canvas } = this;
    const s = canvas.width / SIDE;
    for (let p = 0; p < SIDE * SIDE; p++) {
      const v = Math.round(255 * pixels[p]);
      ctx.fillStyle = `rgb(${v},${v},${v})`;
      ctx.fillRect((p % SIDE) * s, Math.floor(p / SIDE) * s, s, s);
    }
    this.read();
  }

  read(): void {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i] / 255;
    this.onDigit?.(mnistDigit(ink, width, height));
  }
}

export function drawInput(canvas: HTMLCanvasElement, input: Float32Array | null): void {
  paint(canvas, input ?? new Float32Array(SIDE * SIDE), false);
}

export function drawBars(container: HTMLElement, probs: Float32Array | null): void {
  const best = probs === null ? -1 : probs.indexOf(Math.max(...probs));
  container.replaceChildren(...Array.from({ length: 10 }, (_, d) => {
    const row = document.createElement('div');
    row.className = d === best ? 'bar best' : 'bar';
    const p = probs === null ? 0 : probs[d];
    row.innerHTML = `<span>${d}</span><i style="width:${(100 * p).toFixed(1)}%"></i><span>${probs === null ? '' : (100 * p).toFixed(1) + '%'}</span>`;
    return row;
  }));
  container.dataset.prediction = best < 0 ? '' : String(best);
}
