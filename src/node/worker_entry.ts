// A worker thread of the threaded engine in Node: takes its setup from workerData and runs
// runWorker. Built into dist/worker.mjs (scripts/build.mjs); src/node/threads.ts starts it.

import { workerData, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { runWorker } from '../train/engines/threaded/worker.ts';
import type { ImageSet, WorkerSetup } from '../train/engines/threaded/shared.ts';

const port = parentPort!;
port.postMessage('ready');
// Thread 0 posts an image set before the barrier it then waits at, so it is queued by the time we
// look: read synchronously.
await runWorker(workerData as WorkerSetup, {
  receive: async () => receiveMessageOnPort(port)?.message as ImageSet | undefined,
});
