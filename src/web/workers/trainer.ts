// Thread 0 of training on a web page, in a Web Worker: it fetches the data, makes the engine (the
// threaded engine over Web Workers, the teaching engine, or gpu.js on an OffscreenCanvas), runs the
// same run as the CLI (src/train/run.ts) and posts the log, the curves and the weights to the page.

import * as gpujsModule from 'gpu.js';
import { runTraining } from '../../train/run.ts';
import type { Trainer } from '../../train/loop.ts';
import type { Engine } from '../../train/engines/engine.ts';
import type { GpuJs } from '../../train/engines/gpujs/engine.ts';
import { UserError } from '../../train/errors.ts';
import type { Mnist } from '../../train/data/idx.ts';
import { fetchMnist } from '../data.ts';
import { webThreads } from './threads.ts';
import { pageEngine } from './engines.ts';
import { wrongDigits } from '../evaluation.ts';
import type { FromTrainer, ToTrainer } from '../protocol.ts';
import type { WebSettings } from '../settings.ts';

// A dedicated worker's own scope (its types live in TypeScript's WebWorker library, which clashes with DOM's).
const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
};
const post = (m: FromTrainer, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
// How often the page redraws what training shows. Each redraw costs the page's main thread and the
// browser's compositor time the training threads could use (npm run bench:web measures the page).
const WEIGHTS_EVERY_MS = 2000; // the hidden units' tiles (a snapshot of W1)
const POINTS_EVERY_MS = 500; // the curves

let trainer: Trainer | null = null;
let stopAsked = false;

scope.onmessage = (e: MessageEvent) => {
  const m = e.data as ToTrainer;
  if (m.type === 'stop') {
    stopAsked = true;
    if (trainer !== null) trainer.stopRequested = true;
  } else {
    run(m).catch((err: unknown) => {
      if (!(err instanceof UserError)) console.error(err); // a bug: its stack, for the browser's console
      post({ type: 'error', message: err instanceof UserError ? err.message : `internal error: ${(err as Error)?.message ?? err}` });
    });
  }
};

async function run({ settings, machine, base }: Extract<ToTrainer, { type: 'start' }>): Promise<void> {
  post({ type: 'state', state: 'loading' });
  let lastNote = 0;
  const data = await fetchMnist(base, (file, bytes) => {
    const now = performance.now();
    if (now - lastNote < 100) return;
    lastNote = now;
    post({ type: 'note', text: `loading ${file}: ${(bytes / 1e6).toFixed(1)} MB` });
  });
  post({ type: 'note', text: `data: ${data.train.count} training and ${data.test.count} test images` });
  const lib = ((gpujsModule as unknown as { default?: GpuJs }).default ?? gpujsModule) as GpuJs;
  const engine = await pageEngine(settings, {
    cores: machine.cores, renderer: machine.gpu, isolated: crossOriginIsolated, gpujs: lib, threads: webThreads(machine.cores),
    warn: (text) => post({ type: 'warning', text }),
  });
  try {
    const trainCount = Math.min(settings.limit ?? data.train.count, data.train.count);
    post({ type: 'state', state: 'training', backend: engine.info, stepsPerEpoch: Math.ceil(trainCount / settings.batchSize) });
    await train(settings, engine, data, trainCount, machine);
  } finally {
    await engine.close();
  }
}

async function train(s: WebSettings, engine: Engine, data: Mnist, trainCount: number, machine: Parameters<typeof runTraining>[4]): Promise<void> {
  let points: number[] = [];
  let lastPost = 0;
  let lastWeights = performance.now();
  const flush = (epoch: number) => {
    if (points.length === 0) return;
    const buffer = Float32Array.from(points);
    post({ type: 'steps', epoch, points: buffer }, [buffer.buffer]);
    points = [];
  };
  const sendWeights = async () => {
    const params = await engine.readParams();
    const { inputs: IN, hidden: H } = engine.shape;
    const W1 = params.slice(0, IN * H);
    post({ type: 'weights', W1, hidden: H }, [W1.buffer]);
  };
  const settings = { ...s, device: null, validation: false, summary: false };
  // The log as a terminal gets it, less most of the bar's redraws: four a second are plenty on a
  // page, and each costs the page a repaint (a redraw is '\r' and a bar, overwritten by the next).
  let lastBar = 0;
  const log = {
    isTTY: true,
    write: (text: string) => {
      const now = performance.now();
      if (text.startsWith('\r') && !text.includes('\n')) {
        if (now - lastBar < 250) return;
        lastBar = now;
      }
      post({ type: 'log', text });
    },
  };
  await sendWeights(); // the initial weights: the page shows what training changes
  const result = await runTraining(settings, engine, data, trainCount, machine, log, {
    started: (t) => { trainer = t; if (stopAsked) t.stopRequested = true; },
    step: (epoch, step, loss, accuracy) => {
      points.push(step, loss, accuracy);
      const now = performance.now();
      if (now - lastPost > POINTS_EVERY_MS) { lastPost = now; flush(epoch); }
      // The gpu.js engine reads its weights back asynchronously: only at epoch ends (below).
      if (engine.info.name === 'cpu' && now - lastWeights > WEIGHTS_EVERY_MS) { lastWeights = now; void sendWeights(); }
    },
    epochDone: (stats) => {
      flush(stats.epoch);
      post({ type: 'epoch', epoch: stats.epoch, loss: stats.loss, accuracy: stats.accuracy, seconds: stats.seconds });
      void sendWeights();
    },
  });
  const params = await engine.readParams();
  await sendWeights();
  const confusion = result.record.test?.confusion;
  const evaluation = confusion && result.predictions ? { confusion, wrong: wrongDigits(data.test, result.predictions) } : null;
  post({ type: 'done', record: result.record, params, evaluation });
}
