// The threaded engine's threads in Node: worker_threads running dist/worker.mjs, the build of
// src/node/worker_entry.ts (scripts/build.mjs). Run from the TypeScript sources (tests, tsx), the
// build is brought up to date first, so a worker never runs older code than thread 0.

import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ThreadHost, WorkerThread } from '../train/engines/threaded/host.ts';
import type { WorkerSetup } from '../train/engines/threaded/shared.ts';
import { UserError, EXIT } from '../train/errors.ts';
import { cpuBudget } from './cpus.ts';
import { PROJECT_ROOT } from './paths.ts';

const WORKER = join(PROJECT_ROOT, 'dist', 'worker.mjs');
let checked = false;

// From the sources, once a process: scripts/build.mjs rebuilds only what is older than its sources.
function ensureBuilt(): void {
  if (checked) return;
  checked = true;
  if (!import.meta.url.endsWith('.ts')) return; // the bundle runs from dist/, built by the same step
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build.mjs'), '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0 && !existsSync(WORKER)) {
    throw new UserError(`cannot build the worker threads' code (${(r.stderr || r.error?.message || '').trim().split('\n')[0]}); --threads 1 needs none`, EXIT.backend);
  }
}

export const nodeThreads: ThreadHost = {
  cpuBudget,
  start(t: number, setup: WorkerSetup): Promise<WorkerThread> {
    ensureBuilt();
    if (!existsSync(WORKER)) {
      return Promise.reject(new UserError(`worker thread ${t} did not start: ${WORKER} is missing (run npm run build)`, EXIT.backend));
    }
    const worker = new Worker(WORKER, { execArgv: [], workerData: setup });
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new UserError(`worker thread ${t} did not start: ${why}`, EXIT.backend));
      worker.once('message', (m) => {
        if (m !== 'ready') return fail(String(m));
        worker.unref(); // a forgotten engine must not keep the process alive
        resolve({
          post: (message) => worker.postMessage(message),
          terminate: async () => { await worker.terminate(); },
          get running() { return worker.threadId !== -1; }, // Node sets it to -1 when the thread has ended
        });
      });
      worker.once('error', (e) => fail(e.message.split('\n')[0]));
      worker.once('exit', (code) => fail(`exited with code ${code}`));
    });
  },
};
