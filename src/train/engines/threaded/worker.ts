// A worker thread of the threaded engine (engine.ts): it rebuilds the views over the shared memory,
// then runs its block of every step, meeting the other threads at the barriers. A host starts it
// (src/node/worker_entry.ts, the web page's worker) and hands it its setup and inbox.

import { Slice } from './slice.ts';
import { blocks } from './blocks.ts';
import { sharedViews, writeFailure, threadKernels, type WorkerSetup } from './shared.ts';
import type { ThreadInbox } from './host.ts';
import { PIXEL_SCALE } from '../../data/batch.ts';
import { barrier, breakBarrier, BarrierBroken, CTL, COMMAND } from './barrier.ts';

export async function runWorker(setup: WorkerSetup, inbox: ThreadInbox): Promise<void> {
  const { shape, maxBatch, threads, t } = setup;
  const { views, ctl } = sharedViews(setup.buffer, shape, maxBatch, threads);
  const all = blocks(shape, threads);
  const { kernels, arena } = threadKernels(setup.kernels, setup.memory, shape, maxBatch, all, t);
  const slice = new Slice(shape, maxBatch, t, all, views, kernels, setup.adam, PIXEL_SCALE, setup.dropoutRng, arena);
  let imageSet = 0;

  // The image set thread 0 posted before the barrier: the message numbered CTL.imageSet; older ones
  // (posted for a step that never ran) are passed over.
  const takeImages = async (): Promise<void> => {
    const wanted = Atomics.load(ctl, CTL.imageSet);
    for (;;) {
      const received = await inbox.receive();
      if (received === undefined) throw new Error(`image set ${wanted} did not arrive`);
      if (received.id !== wanted) continue;
      slice.useImages(received.images);
      imageSet = wanted;
      return;
    }
  };

  // The steps, synchronous (the hot loop stays one plain function for the JIT), until the exit
  // command (true) or until thread 0 has moved to another image set (false): the caller then awaits
  // it and calls back in, past the start barrier it has already met.
  const runSteps = (pastBarrier: boolean): boolean => {
    for (let first = true; ; first = false) {
      if (!(first && pastBarrier)) {
        barrier(ctl, threads, Infinity); // start: thread 0 has loaded the batch and the command
        if (Atomics.load(ctl, CTL.imageSet) !== imageSet) return false;
      }
      const command = Atomics.load(ctl, CTL.command);
      if (command === COMMAND.exit) return true;
      if (command !== COMMAND.train && command !== COMMAND.eval) throw new Error(`unknown command ${command}`);
      const B = Atomics.load(ctl, CTL.batch);
      const training = command === COMMAND.train, fromImages = Atomics.load(ctl, CTL.fromImages) === 1;
      if (training) slice.drawMask(B);
      slice.gather(B, fromImages);
      slice.forward(B, training);
      barrier(ctl, threads); // every block's share of the logits is in
      if (!training) continue;
      if (fromImages) slice.prefetchNext();
      slice.loss(B);
      slice.backward(B);
      Atomics.store(ctl, CTL.finite + t, slice.update() ? 1 : 0);
      Atomics.store(ctl, CTL.finiteW1 + t, slice.finiteW1 ? 1 : 0);
      barrier(ctl, threads); // end
    }
  };

  try {
    for (let pastBarrier = false; !runSteps(pastBarrier); pastBarrier = true) await takeImages();
  } catch (e) {
    // A broken barrier flagged by another thread needs no word from us; anything else (our own error,
    // or our patience running out mid-step) is flagged, so thread 0 reports it at once.
    if (!(e instanceof BarrierBroken) || Atomics.load(ctl, CTL.failed) === 0) {
      writeFailure(views, t, (e as Error)?.message ?? String(e)); // before the flag, so thread 0 finds it
      breakBarrier(ctl, t);
    }
  }
}
