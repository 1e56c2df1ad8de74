// A worker thread of the threaded engine (threads.ts): it rebuilds the views over the shared memory,
// then runs its block of every step, meeting the other threads at the barriers.

import { workerData, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { Slice, KERNELS, blocks } from '../nn/slice.ts';
import { sharedViews, type WorkerSetup } from './shared.ts';
import { PIXEL_SCALE } from './batch.ts';
import { barrier, breakBarrier, BarrierBroken, CTL, COMMAND } from './barrier.ts';

const setup = workerData as WorkerSetup;
const { shape, maxBatch, threads, t } = setup;
const { views, ctl } = sharedViews(setup.buffer, shape, maxBatch, threads);
const all = blocks(shape, threads);
const slice = new Slice(shape, maxBatch, t, all, views, KERNELS[setup.kernels], setup.adam, PIXEL_SCALE, setup.dropoutRng);

let imageSet = 0;

function run(): void {
  for (;;) {
    barrier(ctl, threads, Infinity); // start: thread 0 has loaded the batch and the command
    if (Atomics.load(ctl, CTL.imageSet) !== imageSet) takeImages();
    const command = Atomics.load(ctl, CTL.command);
    if (command === COMMAND.exit) return;
    if (command !== COMMAND.train && command !== COMMAND.eval) throw new Error(`unknown command ${command}`);
    const B = Atomics.load(ctl, CTL.batch);
    const training = command === COMMAND.train;
    if (training) slice.drawMask(B);
    slice.gather(B, Atomics.load(ctl, CTL.fromImages) === 1);
    slice.forward(B, training);
    barrier(ctl, threads); // every block's share of the logits is in
    if (!training) continue;
    slice.loss(B);
    slice.backward(B);
    Atomics.store(ctl, CTL.finite + t, slice.update() ? 1 : 0);
    Atomics.store(ctl, CTL.finiteW1 + t, slice.finiteW1 ? 1 : 0);
    barrier(ctl, threads); // end
  }
}

// The image set thread 0 posted before the barrier (postMessage has queued it on our port by then):
// the message numbered CTL.imageSet; older ones (posted for a step that never ran) are passed over.
function takeImages(): void {
  const wanted = Atomics.load(ctl, CTL.imageSet);
  for (;;) {
    const received = receiveMessageOnPort(setup.port)?.message as { id: number; images: Uint8Array } | undefined;
    if (received === undefined) throw new Error(`image set ${wanted} did not arrive`);
    if (received.id !== wanted) continue;
    slice.useImages(received.images);
    imageSet = wanted;
    return;
  }
}

parentPort!.postMessage('ready');
try {
  run();
} catch (e) {
  // A broken barrier flagged by another thread needs no word from us; anything else (our own error,
  // or our patience running out mid-step) is flagged, so thread 0 reports it at once.
  if (!(e instanceof BarrierBroken) || Atomics.load(ctl, CTL.failed) === 0) {
    setup.port.postMessage((e as Error)?.message ?? String(e)); // before the flag, so thread 0 finds it
    breakBarrier(ctl, t);
  }
}
