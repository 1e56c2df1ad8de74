// `node bench/launch.mjs FILE.ts [args]`: runs a TypeScript entry point without tsx's loader, which
// `npm run bench` uses to keep its memory down: `node --import tsx` runs its loader on a thread of
// its own, a second V8 instance of about 34 MB (measured: an idle Node process takes 41 MB of RSS,
// 77 MB with tsx), a quarter of the bench's 150 MB budget. Instead, the entry point and everything it
// imports are bundled into one JavaScript module with esbuild (as threads.ts bundles the worker
// threads' code), written to node_modules/.cache, and imported. Plain JavaScript, since nothing
// runs TypeScript before this file does.

import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const file = process.argv[2];
if (file === undefined || !file.endsWith('.ts')) {
  process.stderr.write('launch: usage: node bench/launch.mjs FILE.ts [args]\n');
  process.exit(2);
}

// Each module keeps its own import.meta.url (threads.ts, data.ts and results.ts find files next to
// themselves): esbuild would give every module the bundle's. Any other import.meta property would
// silently point at the bundle too, so it is refused.
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const url = JSON.stringify(pathToFileURL(args.path).href);
      const contents = readFileSync(args.path, 'utf8').replaceAll('import.meta.url', () => url);
      if (/import\.meta\b/.test(contents)) return { errors: [{ text: 'uses import.meta other than import.meta.url, which bundling would change' }] };
      return { contents, loader: 'ts' };
    });
  },
};

const cache = fileURLToPath(new URL('../node_modules/.cache/mnist-ts/', import.meta.url));
const bundle = `${cache}launch-${process.pid}-${randomBytes(4).toString('hex')}.mjs`; // pids repeat across containers
let code;
try {
  const result = await build({
    entryPoints: [resolve(file)], outfile: bundle, bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', // packages are imported from node_modules as usual (the bundle sits in it, below)
    sourcemap: 'inline', sourcesContent: false, // stack traces name the TypeScript files and lines (setSourceMapsEnabled below)
    logLevel: 'silent', plugins: [ownUrl],
    // The bundle deletes itself as soon as it starts: it is loaded by then, and nothing is left behind
    // however the run ends (a run killed in the few milliseconds before, see the sweep below).
    banner: { js: "import { rmSync as __rmBundle } from 'node:fs'; __rmBundle(new URL(import.meta.url), { force: true });" },
  });
  code = result.outputFiles[0].text;
} catch (e) {
  const first = e?.errors?.[0];
  const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
  process.stderr.write(`launch: cannot bundle ${file}: ${where}${first?.text ?? e?.message ?? e}\n`);
  process.exit(1);
}

process.argv.splice(1, 2, resolve(file)); // the entry point sees the argv it would under node --import tsx
let written = true;
try {
  mkdirSync(cache, { recursive: true });
  writeFileSync(bundle, code);
} catch (e) {
  written = false; // a read-only node_modules (installed by another user): tsx's loader after all
  rmSync(bundle, { force: true }); // a partial write (a full disk)
  process.stderr.write(`launch: cannot write ${bundle} (${e.code ?? e.message}); running under tsx's loader instead, which takes about 34 MB more memory\n`);
}
code = undefined; // (about 250 KB, kept for the whole run otherwise)
// Bundles more than an hour old were left by runs killed before their bundle started (best effort).
try {
  for (const name of readdirSync(cache)) {
    const path = cache + name;
    if (name.startsWith('launch-') && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
  }
} catch {}
if (written) {
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(resolve(file)).href);
}
