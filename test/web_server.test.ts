// `npm run web` as a command: its flags, a taken port, --build's files, and what the server sends
// (the isolation headers, the page, gzip-compressed data, 404s). The page itself: test/browser.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataDir } from './idx.ts';
import { tempDir } from './helpers.ts';
import { serve } from './serve.ts';
import { FILES } from '../src/train/data/idx.ts';

const web = (args: string[]) => spawnSync(process.execPath, ['dist/web.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });

test('web: --help; bad flags are one line, exit 2', () => {
  assert.match(web(['--help']).stdout, /--host ADDR/);
  for (const [args, message] of [
    [['--port', 'abc'], 'web: --port expects a port 0..65535, got "abc" (see --help)\n'],
    [['--port', '70000'], 'web: --port expects a port 0..65535, got "70000" (see --help)\n'],
    [['--bogus'], 'web: unknown flag --bogus (see --help)\n'],
  ] as const) {
    const r = web([...args]);
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stderr, message);
  }
});

test('web: a taken port is one line, exit 1', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const port = (blocker.address() as { port: number }).port;
    const r = web(['--port', String(port)]);
    assert.is(r.status, 1);
    assert.is(r.stderr, `web: cannot serve on 127.0.0.1:${port} (EADDRINUSE): the port is taken, try --port N\n`);
  } finally {
    blocker.close();
  }
});

test('web --build DIR: the page and the gzip-compressed data; a missing data file is one line naming it', () => {
  const data = dataDir(6, 4);
  const out = tempDir('mnist-ts-build-');
  const r = web(['--data', data, '--build', out]);
  assert.is(r.status, 0, r.stderr);
  for (const f of ['index.html', 'page.js', 'trainer.js', 'thread.js', 'style.css']) assert.ok(existsSync(join(out, f)), f);
  for (const name of Object.values(FILES)) {
    assert.equal(gunzipSync(readFileSync(join(out, 'data', `${name}.gz`))), readFileSync(join(data, name)), name);
  }
  rmSync(join(data, FILES.testImages));
  const missing = web(['--data', data, '--build', tempDir('mnist-ts-build-')]);
  assert.is(missing.status, 1);
  assert.is(missing.stderr, `web: missing data file: ${join(data, FILES.testImages)}\n`);
});

test('web: the server sends the isolation headers, the page, the data gzip-compressed, and 404s', async () => {
  const data = dataDir(6, 4);
  rmSync(join(data, FILES.testLabels));
  const server = await serve(['--data', data]);
  const url = server.url;
  try {
    const page = await fetch(url);
    assert.is(page.status, 200);
    assert.is(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.is(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(await page.text(), /<pre id="log">/);
    const images = await fetch(new URL(`data/${FILES.trainImages}.gz`, url));
    assert.is(images.headers.get('content-type'), 'application/gzip');
    assert.equal(gunzipSync(Buffer.from(await images.arrayBuffer())), readFileSync(join(data, FILES.trainImages)));
    assert.is((await fetch(new URL(`data/${FILES.testLabels}.gz`, url))).status, 404, 'a missing data file');
    assert.is((await fetch(new URL('../package.json', url))).status, 404, 'nothing outside the page');
    assert.is((await fetch(new URL('data/passwd.gz', url))).status, 404);
  } finally {
    server.stop();
  }
});

test.run();
