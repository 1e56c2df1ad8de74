// A training thread on a web page (threads.ts starts it): the first message is its setup, later ones
// image sets, which runWorker asks for when thread 0 moves to another set.

import { runWorker } from '../../train/engines/threaded/worker.ts';
import type { ImageSet, WorkerSetup } from '../../train/engines/threaded/shared.ts';

// A dedicated worker's own scope (its types live in TypeScript's WebWorker library, which clashes with DOM's).
const scope = self as unknown as {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  close(): void;
};
const inbox: ImageSet[] = [];
let waiting: ((m: ImageSet) => void) | null = null;
let started = false;

scope.onmessage = (e: MessageEvent) => {
  if (!started) {
    started = true;
    scope.postMessage('ready');
    void runWorker(e.data as WorkerSetup, {
      receive: () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve) => { waiting = resolve; })),
    }).then(() => scope.close());
    return;
  }
  if (waiting !== null) {
    const w = waiting;
    waiting = null;
    w(e.data as ImageSet);
  } else inbox.push(e.data as ImageSet);
};
