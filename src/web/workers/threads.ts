// The threaded engine's threads on a web page: Web Workers running thread.ts (built to
// dist/web/thread.js). Started by the trainer worker, which is thread 0: a page's main thread may not
// block in Atomics.wait, so every training thread is a worker and the page only draws.

import type { ThreadHost, WorkerThread } from '../../train/engines/threaded/host.ts';
import type { WorkerSetup } from '../../train/engines/threaded/shared.ts';
import { UserError, EXIT } from '../../train/errors.ts';

export function webThreads(cores: number): ThreadHost {
  return {
    cpuBudget: () => cores,
    start(t: number, setup: WorkerSetup): Promise<WorkerThread> {
      return new Promise((resolve, reject) => {
        let running = true;
        let worker: Worker;
        try {
          worker = new Worker(new URL('./thread.js', import.meta.url), { type: 'module', name: `thread ${t}` });
        } catch (e) {
          reject(new UserError(`worker thread ${t} did not start: ${(e as Error).message}`, EXIT.backend));
          return;
        }
        worker.onerror = (e) => {
          running = false;
          reject(new UserError(`worker thread ${t} did not start: ${e.message || 'its script failed to load'}`, EXIT.backend));
        };
        worker.onmessage = (e: MessageEvent) => {
          if (e.data !== 'ready') return;
          resolve({
            post: (message) => worker.postMessage(message),
            terminate: async () => { worker.terminate(); running = false; },
            get running() { return running; },
          });
        };
        worker.postMessage(setup);
      });
    },
  };
}
