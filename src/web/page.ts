// The web page's main thread: settings (form and URL), the device line, and drawing what the
// trainer worker (workers/trainer.ts) reports. It never trains: every training thread is a worker.
// Testing contract: body[data-state] is idle, loading, training, done, stopped or error; a run's
// record is window.runRecord when it ends; an error is the text of the [role=alert] element; the
// Keras log is the text of #log.

import { parseSettings, settingsQuery, defaultSettings, SettingsError, MAX_THREADS, type WebSettings, type WebBackend } from './settings.ts';
import { machineOf, webglRenderer, browserOf } from './device.ts';
import { LogView } from './log_view.ts';
import { newCurve, addRunningMeans, drawCurve, type Curve } from './charts.ts';
import { drawTiles, drawConfusion, drawWrong, DrawPad, drawInput, drawBars } from './pictures.ts';
import { inferenceModel, classify } from './evaluation.ts';
import { encodeModel } from '../train/results/model_format.ts';
import { MNIST_MODEL, type Model, type ModelShape } from '../nn/model.ts';
import type { RunRecord } from '../train/results/record.ts';
import type { FromTrainer, ToTrainer } from './protocol.ts';

type State = 'idle' | 'loading' | 'training' | 'done' | 'stopped' | 'error';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const cores = navigator.hardwareConcurrency || 1;
const renderer = webglRenderer();
const log = new LogView($('log'));
const pad = new DrawPad($<HTMLCanvasElement>('pad'));
let worker: Worker | null = null;
let model: Model | null = null;
let record: RunRecord | null = null;
let params: Float32Array | null = null;
let initialW1: Float32Array | null = null;
let curves: { loss: Curve; accuracy: Curve } = { loss: newCurve(), accuracy: newCurve() };
let epochLast = { step: 0, mean: 0 }, epochLastAcc = { step: 0, mean: 0 };
let stepsPerEpoch = 1, totalSteps = 1;

declare global { interface Window { runRecord?: RunRecord } }

function setState(state: State): void {
  document.body.dataset.state = state;
  const busy = state === 'loading' || state === 'training';
  $<HTMLButtonElement>('start').disabled = busy;
  $<HTMLButtonElement>('stop').disabled = !busy;
  for (const el of $<HTMLFormElement>('controls').querySelectorAll('select, input')) (el as HTMLInputElement).disabled = busy;
}

function showError(message: string): void {
  const alert = $('alert');
  alert.textContent = message;
  alert.hidden = false;
  setState('error');
}

function note(text: string): void {
  $('status').textContent = text;
}

function warn(text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  $('warnings').append(item);
}

// --- settings <-> form
const FIELDS: [keyof WebSettings, string][] = [
  ['backend', 'backend'], ['threads', 'threads'], ['kernels', 'kernels'], ['epochs', 'epochs'], ['batchSize', 'batch'],
  ['learningRate', 'lr'], ['seed', 'seed'], ['limit', 'limit'], ['hidden', 'hidden'], ['dropout', 'dropout'],
];

function fillForm(s: WebSettings): void {
  for (const [key, id] of FIELDS) ($(id) as HTMLInputElement).value = s[key] === null ? '' : String(s[key]);
  showBackendFields();
}

function showBackendFields(): void {
  const cpu = ($('backend') as HTMLSelectElement).value === 'cpu';
  for (const id of ['threads', 'kernels']) ($(id).parentElement as HTMLElement).hidden = !cpu;
}

// The form's values, checked exactly as URL parameters are.
function formSettings(): WebSettings {
  const value = (id: string) => ($(id) as HTMLInputElement).value.trim();
  const query = new URLSearchParams();
  query.set('backend', value('backend'));
  if (value('backend') === 'cpu') { query.set('threads', value('threads')); query.set('kernels', value('kernels')); }
  for (const id of ['epochs', 'batch', 'lr', 'seed', 'hidden', 'dropout']) query.set(id, value(id));
  if (value('limit') !== '') query.set('limit', value('limit'));
  return parseSettings(query.toString(), cores);
}

// --- a run
function start(): void {
  let settings: WebSettings;
  try {
    settings = formSettings();
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  history.replaceState(null, '', settingsQuery(settings, cores) || location.pathname);
  $('link').setAttribute('href', location.href);
  $('alert').hidden = true;
  $('warnings').replaceChildren();
  log.clear();
  curves = { loss: newCurve(), accuracy: newCurve() };
  record = null; params = null; model = null; initialW1 = null;
  window.runRecord = undefined;
  for (const id of ['save-record', 'save-model']) ($(id) as HTMLButtonElement).disabled = true;
  setState('loading');
  const machine = machineOf(navigator.userAgent, cores, renderer);
  try {
    worker = new Worker(new URL('./trainer.js', import.meta.url), { type: 'module', name: 'trainer (thread 0)' });
  } catch (e) {
    showError(`cannot start the trainer worker: ${(e as Error).message}`);
    return;
  }
  worker.onmessage = (e: MessageEvent) => receive(e.data as FromTrainer, settings);
  worker.onerror = (e) => { showError(`the trainer worker failed: ${e.message || 'its script did not load'}`); worker?.terminate(); };
  worker.postMessage({ type: 'start', settings, machine, base: location.href } satisfies ToTrainer);
}

function receive(m: FromTrainer, settings: WebSettings): void {
  switch (m.type) {
    case 'log': log.write(m.text); break;
    case 'note': note(m.text); break;
    case 'warning': warn(m.text); break;
    case 'state':
      setState(m.state);
      if (m.stepsPerEpoch) { stepsPerEpoch = m.stepsPerEpoch; totalSteps = stepsPerEpoch * settings.epochs; }
      if (m.backend) note(`training: ${m.backend.name} (${m.backend.mode}, ${m.backend.threads} thread${m.backend.threads === 1 ? '' : 's'})`);
      break;
    case 'steps': onSteps(m.epoch, m.points); break;
    case 'epoch': {
      const at = m.epoch * stepsPerEpoch;
      curves.loss.epochs.push({ step: at, value: m.loss });
      curves.accuracy.epochs.push({ step: at, value: m.accuracy });
      redraw();
      break;
    }
    case 'weights':
      initialW1 ??= m.W1; // the first snapshot of a run is its initialisation
      drawTiles($('tiles'), m.W1, initialW1, m.hidden);
      break;
    case 'done': finish(m); break;
    case 'error': showError(m.message); worker?.terminate(); worker = null; break;
  }
}

function onSteps(epoch: number, points: Float32Array): void {
  const loss: [number, number][] = [], acc: [number, number][] = [];
  for (let i = 0; i < points.length; i += 3) { loss.push([points[i], points[i + 1]]); acc.push([points[i], points[i + 2]]); }
  if (loss.length > 0 && loss[0][0] === 1) { epochLast = { step: 0, mean: 0 }; epochLastAcc = { step: 0, mean: 0 }; }
  addRunningMeans(curves.loss, (epoch - 1) * stepsPerEpoch, loss, epochLast);
  addRunningMeans(curves.accuracy, (epoch - 1) * stepsPerEpoch, acc, epochLastAcc);
  redraw();
}

function redraw(): void {
  drawCurve($<HTMLCanvasElement>('loss-chart'), curves.loss, 'training loss (smoothed), epoch means, test', totalSteps, null);
  drawCurve($<HTMLCanvasElement>('accuracy-chart'), curves.accuracy, 'training accuracy (smoothed), epoch means, test', totalSteps, null);
}

function finish(m: Extract<FromTrainer, { type: 'done' }>): void {
  record = m.record;
  params = m.params;
  window.runRecord = m.record;
  if (m.record.test) {
    curves.loss.test = m.record.test.loss;
    curves.accuracy.test = m.record.test.accuracy;
    redraw();
  }
  if (m.evaluation) {
    drawConfusion($<HTMLTableElement>('confusion'), m.evaluation);
    drawWrong($('wrong'), m.evaluation);
  }
  model = inferenceModel(m.params, 1, shapeOf(m.record));
  for (const id of ['save-record', 'save-model']) ($(id) as HTMLButtonElement).disabled = false;
  note(m.record.interrupted ? 'stopped: the log has the partial epoch and the summary of the completed ones' : 'done: draw a digit below for the trained network to read');
  setState(m.record.interrupted ? 'stopped' : 'done');
  worker?.terminate();
  worker = null;
}

// The network a run trained (records without `network` ran the Keras one).
function shapeOf(r: RunRecord): ModelShape {
  return r.network ? { ...MNIST_MODEL, hidden: r.network.hidden, dropoutRate: r.network.dropout } : MNIST_MODEL;
}

function download(name: string, data: BlobPart, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// --- wiring
$('start').addEventListener('click', (e) => { e.preventDefault(); start(); });
$('stop').addEventListener('click', (e) => { e.preventDefault(); worker?.postMessage({ type: 'stop' } satisfies ToTrainer); note('stopping at the next step...'); });
$('backend').addEventListener('change', showBackendFields);
$('clear').addEventListener('click', () => pad.clear());
$('save-record').addEventListener('click', () => { if (record) download('mnist-ts-run.json', JSON.stringify(record, null, 2) + '\n', 'application/json'); });
$('save-model').addEventListener('click', () => { if (params) download('mnist-ts-model.bin', encodeModel(shapeOf(record!), params) as Uint8Array<ArrayBuffer>, 'application/octet-stream'); });
pad.onDigit = (input) => {
  drawInput($<HTMLCanvasElement>('seen'), input);
  drawBars($('bars'), input !== null && model !== null ? classify(model, input) : null);
};
(window as unknown as { mnistPad: DrawPad }).mnistPad = pad; // tests draw a real test image through it

$('threads').setAttribute('max', String(MAX_THREADS));
$('device').textContent = [
  `${cores} CPU core${cores === 1 ? '' : 's'}`,
  `WebGL: ${renderer ?? 'not available'}`,
  browserOf(navigator.userAgent),
  crossOriginIsolated ? 'cross-origin isolated: threads share memory' : 'not cross-origin isolated: one CPU thread',
].join(' · ');
for (const b of ['webgl2', 'webgl'] as WebBackend[]) if (renderer === null) ($('backend').querySelector(`option[value=${b}]`) as HTMLOptionElement).text += ' (no WebGL here)';
drawBars($('bars'), null);
drawInput($<HTMLCanvasElement>('seen'), null);
setState('idle');
try {
  const settings = parseSettings(location.search, cores);
  fillForm(settings);
  if (settings.autostart) start();
} catch (e) {
  fillForm(defaultSettings(cores));
  showError(e instanceof SettingsError ? e.message : `internal error: ${(e as Error).message}`);
}
