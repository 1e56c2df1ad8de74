// The threads' meeting point: a control block of Int32s in shared memory and a barrier over it.
// A thread arriving at the barrier spins for a while (the others are usually microseconds behind),
// then sleeps in Atomics.wait until the last one arrives and bumps the generation with Atomics.notify.
// No messages are sent per step.

export const CTL = {
  count: 0, // threads arrived at the current barrier
  generation: 1, // bumped each time a barrier opens
  command: 2, // what the next step is (COMMAND)
  batch: 3, // B, rows in the batch
  failed: 4, // 1 + index of a thread that threw, else 0
  failureBy: 6, // 1 + index of the thread whose message is in the shared failure text (shared.ts)
  spinMicros: 5, // how long a thread spins before it sleeps, or waits to help another block (slice.ts, update); 0 when there are more threads than cores
  finite: 8, // finite + t: 1 when thread t's gradients were all finite (16 threads at most)
  finiteW1: 24, // finiteW1 + t: 0 when thread t's fused kernel met a non-finite W1 gradient (never stored)
  fromImages: 40, // 1 when this step's batch is rows of the shared image set (examples), 0 when floats in x
  imageSet: 41, // bumped when thread 0 posts the workers another image set
  nextCount: 42, // how many of shared.next hold the likely next batch (Slice.prefetchNext), 0 for none
  // work + 16t: the next chunk of block t's W1 rows to update, claimed with Atomics.add by whichever
  // thread gets there (slice.ts, update); work + 16t + 1: the step whose gradient for block t is
  // ready. 16 words (64 bytes) apart, so that two blocks' counters never share a cache line.
  work: 48,
  length: 48 + 16 * 16,
} as const;

export const COMMAND = { train: 1, eval: 2, exit: 3 } as const;

export class BarrierBroken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BarrierBroken';
  }
}

// How long thread 0 waits before it declares a worker dead. Workers wait for thread 0 without limit:
// thread 0 may legitimately pause for long (stdout blocked, a debugger), and a worker is ended by
// close() or with the process anyway.
const PATIENCE_MS = 120_000;

export function barrier(ctl: Int32Array, threads: number, patienceMs = PATIENCE_MS): void {
  if (threads === 1) return;
  if (Atomics.load(ctl, CTL.failed) !== 0) throw new BarrierBroken(`thread ${Atomics.load(ctl, CTL.failed) - 1} failed`);
  const generation = Atomics.load(ctl, CTL.generation);
  if (Atomics.add(ctl, CTL.count, 1) === threads - 1) {
    Atomics.store(ctl, CTL.count, 0);
    Atomics.add(ctl, CTL.generation, 1);
    Atomics.notify(ctl, CTL.generation);
    return;
  }
  // Spin first: the others are usually a few microseconds behind, and waking from a sleep costs tens.
  const until = performance.now() + Atomics.load(ctl, CTL.spinMicros) / 1000;
  let spins = 0;
  while (Atomics.load(ctl, CTL.generation) === generation) {
    if ((++spins & 255) === 0 && performance.now() > until) break;
  }
  let waited = 0;
  while (Atomics.load(ctl, CTL.generation) === generation) {
    if (Atomics.wait(ctl, CTL.generation, generation, 1000) === 'timed-out' && (waited += 1000) >= patienceMs) {
      throw new BarrierBroken(`no word from the other threads for ${patienceMs / 1000} s`);
    }
  }
  const failed = Atomics.load(ctl, CTL.failed);
  if (failed !== 0) throw new BarrierBroken(`thread ${failed - 1} failed`);
}

// Called by a thread that is going down: flag it and wake everyone, so nobody waits forever.
export function breakBarrier(ctl: Int32Array, t: number): void {
  Atomics.store(ctl, CTL.failed, t + 1);
  Atomics.add(ctl, CTL.generation, 1);
  Atomics.notify(ctl, CTL.generation);
}
