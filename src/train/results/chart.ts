// A small SVG line chart writer for `npm run compare`: seconds per epoch, one line per run record.
// Each line differs from the others in marker shape and dash pattern as well as colour, so the chart
// reads in grey or to a colour-blind eye: references long-dashed with hollow markers, measured runs
// with filled markers, shapes and dashes taken in turn. The output is one self-contained file (no scripts, fonts or links), readable
// in any browser or image viewer.

export interface ChartSeries {
  label: string; // legend text: device and backend
  reference: boolean; // drawn long-dashed with hollow markers
  color?: string; // fixed colour (the references keep theirs); otherwise taken from the palette
  values: number[]; // seconds for epochs 1, 2, ...
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#2ca02c'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const CHAR_WIDTH = 6.8; // a generous estimate of one 12 px sans-serif character, so text is never cut off
const MIN_PLOT_W = 560;
const PLOT_H = 300;
const LEFT = 72; // room for tick labels and the rotated y-axis title
const TITLE_ROW = 20; // the title and each subtitle line
const LEGEND_ROW = 20;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

// 1, 2, 5 times a power of ten: the tick steps people read easily.
function niceStep(span: number, ticks: number): number {
  const raw = span / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

interface Scale {
  y: (v: number) => number; // seconds -> pixel row inside the plot
  ticks: number[];
  log: boolean;
}

// Linear from zero while the slowest and fastest runs are within 10x of each other; beyond that a
// log scale, so a 1 s/epoch run and a 30 s/epoch run both stay readable.
export function yScale(min: number, max: number): Scale {
  if (max / min > 10) {
    const steps = [1, 2, 5];
    const all: number[] = [];
    for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)); e++) for (const m of steps) all.push(m * 10 ** e);
    const lo = Math.max(...all.filter((t) => t <= min));
    const hi = Math.min(...all.filter((t) => t >= max));
    const ticks = all.filter((t) => t >= lo * 0.999 && t <= hi * 1.001).map((t) => Number(t.toPrecision(3)));
    const span = Math.log(hi / lo);
    return { y: (v) => PLOT_H - (Math.log(v / lo) / span) * PLOT_H, ticks, log: true };
  }
  const step = niceStep(max, 5);
  const hi = Math.ceil((max * 1.05) / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(6)));
  return { y: (v) => PLOT_H - (v / hi) * PLOT_H, ticks, log: false };
}

function tickLabel(t: number): string {
  return t >= 1 || t === 0 ? `${Number(t.toPrecision(6))}` : t.toPrecision(1);
}

export type Shape = 'circle' | 'square' | 'triangle' | 'diamond' | 'down';
const SHAPES: Shape[] = ['circle', 'square', 'triangle', 'diamond', 'down'];
const REFERENCE_DASH = '7 4';
// Solid first; none of these is the references' long dash. With five shapes, 20 runs differ in both.
const DASHES = ['', '2 3', '10 3 2 3', '1 6'];

export interface LineStyle {
  color: string;
  shape: Shape;
  dash: string; // SVG stroke-dasharray, '' for solid
  hollow: boolean;
}

// The references take shapes in turn from the first, and so do the measured runs, with their own dashes.
export function lineStyles(series: ChartSeries[]): LineStyle[] {
  let refs = 0, runs = 0;
  return series.map((s) => {
    if (s.reference) {
      const i = refs++;
      return { color: s.color ?? PALETTE[i % PALETTE.length], shape: SHAPES[i % SHAPES.length], dash: REFERENCE_DASH, hollow: true };
    }
    const i = runs++;
    return { color: s.color ?? PALETTE[i % PALETTE.length], shape: SHAPES[i % SHAPES.length], dash: DASHES[i % DASHES.length], hollow: false };
  });
}

function marker(x: number, y: number, style: LineStyle): string {
  const paint = `fill="${style.hollow ? 'white' : style.color}" stroke="${style.color}" stroke-width="1.5"`;
  const at = (points: [number, number][]): string => points.map(([dx, dy]) => `${(x + dx).toFixed(1)},${(y + dy).toFixed(1)}`).join(' ');
  switch (style.shape) {
    case 'circle': return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" ${paint}/>`;
    case 'square': return `<rect x="${(x - 3.2).toFixed(1)}" y="${(y - 3.2).toFixed(1)}" width="6.4" height="6.4" ${paint}/>`;
    case 'triangle': return `<polygon points="${at([[0, -4.5], [4, 3], [-4, 3]])}" ${paint}/>`;
    case 'diamond': return `<polygon points="${at([[0, -4.5], [4.5, 0], [0, 4.5], [-4.5, 0]])}" ${paint}/>`;
    case 'down': return `<polygon points="${at([[0, 4.5], [4, -3], [-4, -3]])}" ${paint}/>`;
  }
}

function dashAttr(style: LineStyle): string {
  return style.dash === '' ? '' : ` stroke-dasharray="${style.dash}"`;
}

// The whole chart; the plot widens when a title or legend line needs more room.
export function comparisonSvg(series: ChartSeries[], title: string, subtitle: string[]): string {
  const all = series.flatMap((s) => s.values);
  const maxEpochs = Math.max(1, ...series.map((s) => s.values.length));
  const scale = all.length > 0 ? yScale(Math.min(...all), Math.max(...all)) : yScale(1, 1);
  const textWidth = Math.max(title.length * 1.3, ...subtitle.map((l) => l.length), ...series.map((s) => s.label.length + 6)) * CHAR_WIDTH;
  const width = Math.ceil(LEFT + Math.max(MIN_PLOT_W, textWidth) + 24);
  const PLOT_W = width - LEFT - 24;
  const x = (epoch: number): number => ((epoch - 0.5) / maxEpochs) * PLOT_W;
  const TOP = 24 + TITLE_ROW * subtitle.length + 26;
  const legendTop = TOP + PLOT_H + 58;
  const height = legendTop + series.length * LEGEND_ROW + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="24" font-size="15" font-weight="bold" fill="#222">${escapeXml(title)}</text>`);
  subtitle.forEach((line, i) => out.push(`<text x="${LEFT}" y="${24 + TITLE_ROW * (i + 1)}" fill="#555">${escapeXml(line)}</text>`));
  out.push(`<g transform="translate(${LEFT},${TOP})">`);

  // Grid and y ticks, then the axes on top of the grid.
  for (const t of scale.ticks) {
    const y = scale.y(t).toFixed(1);
    out.push(`<line x1="0" y1="${y}" x2="${PLOT_W}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="-8" y="${y}" dy="0.35em" text-anchor="end" fill="#333">${tickLabel(t)}</text>`);
  }
  for (let e = 1; e <= maxEpochs; e++) {
    out.push(`<line x1="${x(e).toFixed(1)}" y1="${PLOT_H}" x2="${x(e).toFixed(1)}" y2="${PLOT_H + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(e).toFixed(1)}" y="${PLOT_H + 19}" text-anchor="middle" fill="#333">${e}</text>`);
  }
  out.push(`<path d="M0,0V${PLOT_H}H${PLOT_W}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${PLOT_W / 2}" y="${PLOT_H + 40}" text-anchor="middle" fill="#222">epoch</text>`);
  const yTitle = `training time per epoch (seconds${scale.log ? ', log scale' : ''})`;
  out.push(`<text transform="translate(-52,${PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="#222">${yTitle}</text>`);

  // Lines, each with its own colour, marker shape and dash (lineStyles).
  const styles = lineStyles(series);
  series.forEach((s, i) => {
    const points = s.values.map((v, e) => `${x(e + 1).toFixed(1)},${scale.y(v).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${styles[i].color}" stroke-width="2"${dashAttr(styles[i])}/>`);
    s.values.forEach((v, e) => out.push(marker(x(e + 1), scale.y(v), styles[i])));
  });
  out.push('</g>');

  // Legend below the plot, one entry a row in the order given, so long device names never overlap the lines.
  series.forEach((s, i) => {
    const y = legendTop + i * LEGEND_ROW;
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + 30}" y2="${y}" stroke="${styles[i].color}" stroke-width="2"${dashAttr(styles[i])}/>`);
    out.push(marker(LEFT + 15, y, styles[i]));
    out.push(`<text x="${LEFT + 40}" y="${y}" dy="0.35em" fill="#222">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
