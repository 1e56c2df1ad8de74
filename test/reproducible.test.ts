// Same seed, same backend: the same log (timings aside), the same record (date and timings aside)
// and bit-identical trained weights. Another seed: another run.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBench } from '../src/node/cli/bench.ts';
import { DEFAULTS, type Options } from '../src/node/cli/flags.ts';
import type { RunRecord } from '../src/train/results/record.ts';
import { mnistDir } from './idx.ts';
import { tempDir } from './helpers.ts';

const data = mnistDir(320, 100); // 10 steps an epoch: a real, if tiny, run
const out = tempDir('mnist-ts-repro-');

async function run(name: string, seed: number): Promise<{ log: string; record: RunRecord; weights: Buffer }> {
  let log = '';
  const folder = join(out, name); // same file names in each, since the log prints them
  mkdirSync(folder);
  const saveModel = join(folder, 'model.bin');
  const options: Options = { ...DEFAULTS, data, epochs: 2, seed, saveModel, json: join(folder, 'run.json') };
  const { record } = await runBench(options, { write: (s: string) => (log += s) });
  return { log: log.replace(`/${name}/`, '/RUN/'), record, weights: readFileSync(saveModel) };
}

// Timings are the only thing allowed to differ: "- 1s 12ms/step", "- 93ms/epoch", "1.13s (2 epochs)", "14.8 times".
function withoutTimings(log: string): string {
  return log
    .replace(/\b\d+(\.\d+)?(s|ms|us)\b/g, 'T')
    .replace(/\d+(\.\d+)? times (faster|slower)/g, 'N times');
}

function withoutTimes(record: RunRecord): unknown {
  return JSON.parse(JSON.stringify(record, (key, value) => (['date', 'seconds', 'msPerStep', 'totalSeconds'].includes(key) ? undefined : value)));
}

test('two runs with the same seed: same log, same record, bit-identical weights; another seed differs', async () => {
  const a = await run('a', 7);
  const b = await run('b', 7);
  const c = await run('c', 8);
  assert.ok(a.log.includes('Epoch 2/2') && a.log.includes('loss: '), a.log);
  assert.fixture(withoutTimings(b.log), withoutTimings(a.log));
  assert.equal(withoutTimes(b.record), withoutTimes(a.record));
  assert.equal(JSON.parse(readFileSync(join(out, 'b', 'run.json'), 'utf8')).epochs.map((e: { loss: number }) => e.loss), a.record.epochs.map((e) => e.loss));
  assert.ok(b.weights.equals(a.weights), 'same seed: the saved weights differ');
  // The seed reaches init, shuffling and dropout: the other run differs in its losses and its weights.
  assert.not.equal(c.record.epochs.map((e) => e.loss), a.record.epochs.map((e) => e.loss));
  assert.ok(!c.weights.equals(a.weights));
  assert.is.not(withoutTimings(c.log), withoutTimings(a.log));
});

test.run();
