// `npm run web`'s server on a free port, for the tests that talk to it (test/web_server.test.ts and
// the browser tests).

import { spawn, type ChildProcess } from 'node:child_process';

export interface Server {
  url: string;
  stop(): void;
}

// `node dist/web.mjs ARGS --port 0` (dist/ is built by the test:browser script); resolves with its URL.
export function serve(args: string[] = []): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, ['dist/web.mjs', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const url = /mnist-ts web page: (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, stop: () => child.kill() });
    });
    child.stderr!.on('data', (chunk) => { out += chunk; });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${out}`)));
  });
}
