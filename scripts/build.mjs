// The one build step: bundles each command's entry point, the worker threads' entry point and the
// web page (dist/web/) with esbuild, so that a training run starts plain JavaScript (no TypeScript
// loader thread: about 34 MB less memory) and stack traces still name the .ts files (inline source
// maps, read with node --enable-source-maps). Rebuilds only when a source is newer than dist/.
// Usage: node scripts/build.mjs [--quiet] [--force]

import { build } from 'esbuild';
import { existsSync, readdirSync, statSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');
const quiet = process.argv.includes('--quiet');
const force = process.argv.includes('--force');

// Node entry points: [source, output in dist/].
const NODE = [
  ['bench/run.ts', 'bench.mjs'],
  ['bench/evaluate.ts', 'evaluate.mjs'],
  ['bench/predict.ts', 'predict.mjs'],
  ['bench/compare.ts', 'compare.mjs'],
  ['src/node/worker_entry.ts', 'worker.mjs'],
  ['bench/web.ts', 'web.mjs'],
];

// The web page (src/web): [source, output in dist/web/]. Module scripts and module workers.
const WEB = [
  ['src/web/page.ts', 'page.js'],
  ['src/web/workers/trainer.ts', 'trainer.js'],
  ['src/web/workers/thread.ts', 'thread.js'],
];
const WEB_FILES = ['index.html', 'style.css'];

// The newest modification time under the sources a build reads.
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs; // a deleted or renamed file changes its folder's time
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

function upToDate() {
  if (force || !existsSync(stamp)) return false;
  const sources = ['src', ...NODE.map(([source]) => source), 'scripts/build.mjs', 'package.json'];
  const built = statSync(stamp).mtimeMs;
  return sources.every((s) => !existsSync(join(root, s)) || newest(join(root, s)) <= built);
}

if (upToDate()) {
  if (!quiet) process.stderr.write('build: dist/ is up to date\n');
  process.exit(0);
}

try {
  mkdirSync(dist, { recursive: true });
  await Promise.all(NODE.map(([source, out]) => build({
    entryPoints: [join(root, source)], outfile: join(dist, out),
    bundle: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', // imported from node_modules at run time, as usual
    sourcemap: 'inline', sourcesContent: false, logLevel: 'silent',
  })));
  mkdirSync(join(dist, 'web'), { recursive: true });
  await Promise.all(WEB.map(([source, out]) => build({
    entryPoints: [join(root, source)], outfile: join(dist, 'web', out),
    // Not minified: gpu.js compiles its kernels from their source text, which minifying rewrites.
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    sourcemap: 'linked', logLevel: 'silent',
  })));
  for (const file of WEB_FILES) copyFileSync(join(root, 'src/web', file), join(dist, 'web', file));
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
} catch (e) {
  const first = e?.errors?.[0];
  const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
  process.stderr.write(`build: ${where}${first?.text ?? e?.code ?? e?.message ?? e}\n`);
  process.exit(1);
}
if (!quiet) process.stderr.write('build: dist/ written\n');
