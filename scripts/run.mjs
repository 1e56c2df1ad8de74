// `node scripts/run.mjs NAME [args]`: brings dist/ up to date (scripts/build.mjs) and runs
// dist/NAME.mjs in this same process, with this process's Node flags: one Node start for a
// command instead of two (`npm run bench -- --profile` prints where the start-up goes).

import { ensureBuilt } from './build.mjs';

const name = process.argv[2];
if (name === undefined || !/^[a-z]+$/.test(name)) {
  process.stderr.write('run: usage: node scripts/run.mjs NAME [args] (NAME: bench, evaluate, predict, compare, web)\n');
  process.exit(2);
}
await ensureBuilt({ quiet: true });
process.argv.splice(2, 1); // the command sees its own arguments, as if run as node dist/NAME.mjs
await import(new URL(`../dist/${name}.mjs`, import.meta.url).href);
