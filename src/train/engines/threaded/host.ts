// What the threaded engine needs from its host: threads. The Node CLI starts worker_threads
// (src/node/threads.ts), the web page Web Workers (src/web/). Each worker runs runWorker (worker.ts)
// over the shared memory in its setup.

import type { ImageSet, WorkerSetup } from './shared.ts';

export interface ThreadHost {
  // Starts worker thread t; resolves once it runs runWorker, rejects with a one-line UserError
  // (exit code 4) if it cannot start.
  start(t: number, setup: WorkerSetup): Promise<WorkerThread>;
  // CPUs' worth of time this process may use: threads spin at the barriers only when each has one.
  cpuBudget(): number;
}

// Thread 0's handle on a started worker.
export interface WorkerThread {
  post(message: ImageSet): void;
  terminate(): Promise<void>;
  readonly running: boolean; // false once the thread has ended
}

// A worker's side of the same channel: the next message thread 0 posted, or undefined when none
// has arrived (the host waits only as long as its platform needs to deliver one already sent).
export interface ThreadInbox {
  receive(): Promise<ImageSet | undefined>;
}
