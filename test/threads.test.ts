// The threaded engine: how it cuts the network into blocks, that it trains exactly like the teaching
// model when given the same kernels, that a run repeats bit for bit, and that failures end cleanly.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ThreadedEngine, copyLayout } from '../src/train/engines/threaded/engine.ts';
import { CpuEngine } from '../src/train/engines/cpu.ts';
import { type Engine } from '../src/train/engines/engine.ts';
import { Slice, KERNELS } from '../src/train/engines/threaded/slice.ts';
import { blocks } from '../src/train/engines/threaded/blocks.ts';
import { sharedViews } from '../src/train/engines/threaded/shared.ts';
import { KERAS_ADAM } from '../src/nn/optimizer.ts';
import { PIXEL_SCALE } from '../src/train/data/batch.ts';
import { MNIST_MODEL } from '../src/nn/model.ts';
import { nodeThreads } from '../src/node/threads.ts';
import type { WorkerThread } from '../src/train/engines/threaded/host.ts';
import { makeEngine } from '../src/node/cli/engines.ts';
import { parseFlags, DEFAULTS } from '../src/node/cli/flags.ts';
import { UserError } from '../src/train/errors.ts';
import { CTL } from '../src/train/engines/threaded/barrier.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { fillBatch, PIXELS } from '../src/train/data/batch.ts';
import { identityOrder } from '../src/train/loop.ts';
import { spawnSync } from 'node:child_process';
import { dataDir } from './idx.ts';
import { cgroupCpuQuota, cpuBudget, usableCpus } from '../src/node/cpus.ts';
import { machineInfo } from '../src/node/machine.ts';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { makeRng, shuffle } from '../src/tensor/rng.ts';
import { tempDir } from './helpers.ts';

const { inputs: IN, hidden: H, classes: C } = MNIST_MODEL;
const P = IN * H + H + H * C + C;
const mnist = loadMnist(packageDataDir());
const BATCH = 32;

// A fixed sequence of real batches (the last one short), the same for every engine.
const BATCHES = (() => {
  const order = identityOrder(2000);
  shuffle(order, makeRng(3));
  const sizes = [32, 32, 32, 32, 32, 32, 32, 32, 32, 17];
  let at = 0;
  return sizes.map((B) => {
    const x = new Float32Array(BATCH * PIXELS), y = new Uint8Array(BATCH);
    fillBatch(x, y, mnist.train.images, mnist.train.labels, order, at, B);
    at += B;
    return { x, y, B };
  });
})();

// Trains through the batches `rounds` times; returns every step's loss and the final parameters.
async function train(engine: Engine, rounds: number): Promise<{ losses: number[]; params: Float32Array; evalLoss: number }> {
  const losses: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const { x, y, B } of BATCHES) {
        losses.push(await engine.trainStep(x, y, B));
        assert.ok(engine.gradsFinite);
      }
    }
    const { x, y, B } = BATCHES[9];
    return { losses, params: await engine.readParams(), evalLoss: await engine.evalStep(x, y, B) };
  } finally {
    await engine.close();
  }
}

const options = { batchSize: BATCH, learningRate: 0.001, seed: 5 };
const threaded = (threads: number, kernels: 'naive' | 'fast') => ThreadedEngine.create({ ...options, threads, kernels }, nodeThreads);
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('blocks: contiguous hidden units in multiples of 8, parameter ranges that tile the flat buffer', () => {
  for (let T = 1; T <= 16; T++) {
    const all = blocks(MNIST_MODEL, T);
    assert.is(all.length, T);
    let h = 0, offset = 0;
    for (const b of all) {
      assert.is(b.h0, h);
      assert.is(b.offset, offset);
      assert.ok(b.hidden > 0 && b.hidden % 8 === 0, `T=${T}: block of ${b.hidden}`);
      h += b.hidden;
      offset += b.size;
    }
    assert.is(h, H);
    assert.is(offset, P);
  }
  assert.equal(blocks(MNIST_MODEL, 2).map((b) => b.hidden), [64, 64]);
});

test('copyLayout: canonical -> blocked -> canonical is the identity, and one block is the canonical layout', () => {
  const canonical = Float32Array.from({ length: P }, (_, i) => i);
  for (const T of [1, 2, 3, 5]) {
    const all = blocks(MNIST_MODEL, T);
    const blocked = new Float32Array(P), back = new Float32Array(P);
    copyLayout(canonical, blocked, MNIST_MODEL, all, true);
    copyLayout(back, blocked, MNIST_MODEL, all, false);
    assert.ok(sameBits(back, canonical), `T=${T}`);
    if (T === 1) assert.ok(sameBits(blocked, canonical));
  }
});

test('with the naive kernels on one thread, the threaded engine trains bit for bit like the teaching model', async () => {
  const reference = await train(new CpuEngine(options), 2);
  const ours = await train(await threaded(1, 'naive'), 2);
  assert.equal(ours.losses, reference.losses);
  assert.ok(sameBits(ours.params, reference.params));
  assert.is(ours.evalLoss, reference.evalLoss);
});

test('trainBatch (rows of the shared image set, scaled by each thread) trains bit for bit like fillBatch + trainStep', async () => {
  const order = identityOrder(2000);
  shuffle(order, makeRng(3));
  const x = new Float32Array(BATCH * PIXELS), y = new Uint8Array(BATCH);
  assert.instance(mnist.train.images.buffer, SharedArrayBuffer, 'the loader keeps images in shared memory');
  // Another image set in shared memory (the workers must switch to it), and one outside (the fallback).
  const shared = new Uint8Array(new SharedArrayBuffer(2000 * PIXELS));
  shared.set(mnist.test.images.subarray(0, 2000 * PIXELS));
  const splits = [
    mnist.train,
    { images: shared, labels: mnist.test.labels.subarray(0, 2000), count: 2000 },
    { images: mnist.train.images.slice(0, 2000 * PIXELS), labels: mnist.train.labels.slice(0, 2000), count: 2000 },
    mnist.train,
  ];
  for (const [threads, kernels] of [[1, 'fast'], [2, 'fast'], [3, 'fast'], [2, 'naive']] as const) {
    const a = await threaded(threads, kernels), b = await threaded(threads, kernels);
    try {
      let at = 0, s = 0;
      for (const B of [32, 32, 17, 32, 5, 32, 32, 32]) {
        const split = splits[s++ % splits.length];
        fillBatch(x, y, split.images, split.labels, order, at, B);
        const la = a.trainStep(x, y, B);
        const lb = b.trainBatch(split, order, at, B);
        assert.is(lb, la, `${threads} threads, ${kernels}: step at ${at}`);
        at += B;
      }
      assert.ok(sameBits(a.readParams(), b.readParams()));
    } finally {
      await a.close();
      await b.close();
    }
  }
});

test('two threads: two runs are bit-identical (fast kernels)', async () => {
  const a = await train(await threaded(2, 'fast'), 2);
  const b = await train(await threaded(2, 'fast'), 2);
  assert.equal(a.losses, b.losses);
  assert.ok(sameBits(a.params, b.params));
});

test('threads change only the logits\' summation order: 1, 2 and 3 threads stay close, and near the naive model', async () => {
  const runs = [await train(await threaded(1, 'fast'), 2), await train(await threaded(2, 'fast'), 2), await train(await threaded(3, 'fast'), 2)];
  const naive = await train(new CpuEngine(options), 2);
  for (const run of [...runs, naive]) {
    for (let i = 0; i < run.losses.length; i++) {
      const rel = Math.abs(run.losses[i] - runs[0].losses[i]) / runs[0].losses[i];
      assert.ok(rel < 1e-4, `step ${i}: loss ${run.losses[i]} vs ${runs[0].losses[i]}`);
    }
    let worst = 0;
    for (let i = 0; i < P; i++) worst = Math.max(worst, Math.abs(run.params[i] - runs[0].params[i]));
    assert.ok(worst < 1e-5, `parameters differ by ${worst}`);
  }
  assert.ok(runs[0].losses[19] < runs[0].losses[0] * 0.8, 'it learns');
});

test('W1 rows are shared out between threads: whichever thread updates a block\'s rows, the bits are the same', () => {
  // Two blocks' Slices on one shared memory, run here in turn. The one whose update() runs first
  // takes its own rows and then (the other's gradient being ready) all of the other block's. Which
  // one goes first follows a pattern per run: always thread 0, or alternating (so a block's rows,
  // and its lit-pixel flags, change hands from step to step) in either phase. The runs differ only in
  // who does what, so they must end with the same losses, parameters and moments.
  const T = 2, all = blocks(MNIST_MODEL, T);
  const run = (first: (step: number) => number) => {
    const buffer = new SharedArrayBuffer(sharedViews(null, MNIST_MODEL, BATCH, T).bytes);
    const { views, ctl } = sharedViews(buffer, MNIST_MODEL, BATCH, T);
    const init = makeRng(9);
    for (let i = 0; i < views.params.length; i++) views.params[i] = (init.a = (init.a * 1103515245 + 12345) | 0) / 2 ** 35;
    Atomics.store(ctl, CTL.spinMicros, 250);
    const slices = all.map((_, t) => new Slice(MNIST_MODEL, BATCH, t, all, views, KERNELS.fast, KERAS_ADAM, PIXEL_SCALE, makeRng(5, 2)));
    const chunks = Math.ceil(IN / 16), losses: number[] = [];
    BATCHES.forEach(({ x, y, B }, step) => { // ten batches, the last one of 17 rows
      views.x.set(x);
      views.y.set(y);
      for (const s of slices) { s.drawMask(B); s.gather(B); s.forward(B, true); }
      for (const s of slices) { losses.push(s.loss(B)); s.backward(B); }
      const f = first(step);
      assert.ok(slices[f].update());
      assert.ok(Atomics.load(ctl, CTL.work + 16 * (1 - f)) >= chunks, 'the first thread took the other block\'s rows too');
      assert.ok(slices[1 - f].update());
    });
    return { losses, params: views.params.slice(), m: views.m.slice(), v: views.v.slice() };
  };
  const a = run(() => 0), b = run((step) => step % 2), c = run((step) => 1 - (step % 2));
  for (const other of [b, c]) {
    assert.equal(other.losses, a.losses);
    for (const name of ['params', 'm', 'v'] as const) assert.ok(sameBits(a[name], other[name]), name);
  }
});

test('a trainBatch refused (batch too large) posts nothing: the next image set still reaches the workers', async () => {
  const order = identityOrder(2000);
  const other = new Uint8Array(new SharedArrayBuffer(2000 * PIXELS));
  other.set(mnist.test.images.subarray(0, 2000 * PIXELS));
  const third = new Uint8Array(new SharedArrayBuffer(2000 * PIXELS));
  third.set(mnist.train.images.subarray(2000 * PIXELS, 4000 * PIXELS));
  const splitB = { images: other, labels: mnist.test.labels.subarray(0, 2000), count: 2000 };
  const splitC = { images: third, labels: mnist.train.labels.subarray(2000, 4000), count: 2000 };
  const a = await threaded(2, 'fast'), b = await threaded(2, 'fast');
  const x = new Float32Array(BATCH * PIXELS), y = new Uint8Array(BATCH);
  try {
    assert.throws(() => b.trainBatch(splitB, order, 0, BATCH + 1), /exceeds/);
    for (const split of [splitC, splitB, splitC]) {
      fillBatch(x, y, split.images, split.labels, order, 64, BATCH);
      assert.is(b.trainBatch(split, order, 64, BATCH), a.trainStep(x, y, BATCH));
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('loadParams takes the canonical layout (a saved model): readParams gives it back, and every thread uses it', async () => {
  const canonical = Float32Array.from({ length: P }, (_, i) => Math.sin(i) * 0.05);
  const { x, y, B } = BATCHES[0];
  const losses: number[] = [];
  for (const threads of [1, 2, 3]) {
    const engine = await threaded(threads, 'fast');
    try {
      engine.loadParams(canonical);
      assert.ok(sameBits(engine.readParams(), canonical), `${threads} threads`);
      losses.push(engine.evalStep(x, y, B));
    } finally {
      await engine.close();
    }
  }
  const teaching = new CpuEngine(options);
  teaching.model.params.set(canonical);
  const reference = teaching.evalStep(x, y, B);
  for (const loss of losses) assert.ok(Math.abs(loss - reference) < 1e-4 * reference, `eval losses ${losses}, teaching model ${reference}`);
  const engine = await threaded(2, 'fast');
  try {
    assert.throws(() => engine.loadParams(new Float32Array(P - 1)), /loadParams: 101769 values, expected 101770/);
  } finally {
    await engine.close();
  }
});

test('fast kernels never store W1\'s gradient, yet a non-finite one is named: each thread flags the rows it summed', async () => {
  const engine = await threaded(2, 'fast');
  const internals = engine as unknown as { ctl: Int32Array; slice: { finiteW1: boolean } };
  try {
    const { x, y, B } = BATCHES[0];
    engine.trainStep(x, y, B);
    assert.ok(engine.gradsFinite);
    assert.is(Atomics.load(internals.ctl, CTL.finiteW1 + 1), 1, 'the worker published its flag');
    assert.is(engine.nonFiniteGradient(), null);
    Atomics.store(internals.ctl, CTL.finiteW1 + 1, 0); // as the worker's fused kernel would after a NaN
    assert.is(engine.nonFiniteGradient(), 'W1');
    Atomics.store(internals.ctl, CTL.finiteW1 + 1, 1);
    internals.slice.finiteW1 = false; // as thread 0's would
    assert.is(engine.nonFiniteGradient(), 'W1');
  } finally {
    await engine.close();
  }
});

test('a worker that throws ends the step with a one-line backend error, and close() does not hang', async () => {
  const engine = await threaded(2, 'fast');
  const internals = engine as unknown as { ctl: Int32Array; workers: WorkerThread[] };
  const { x, y, B } = BATCHES[0];
  engine.trainStep(x, y, B);
  Atomics.store(internals.ctl, CTL.command, 99); // a command no worker knows: it throws
  const sync = () => (engine as unknown as { sync(): void }).sync();
  try {
    sync(); // the step starts; the worker reads the command and throws
    sync(); // the next meeting point finds the failure (if the first did not already)
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, UserError);
    assert.is((e as UserError).exitCode, 4);
    assert.match((e as Error).message, /^worker thread 1 failed: unknown command 99$/);
  }
  assert.throws(() => engine.trainStep(x, y, B), /worker threads have stopped/);
  await engine.close();
  assert.ok(internals.workers.every((w) => !w.running), 'workers terminated');
});

test('close() ends idle workers', async () => {
  const engine = await threaded(3, 'fast');
  await engine.close();
  assert.ok((engine as unknown as { workers: WorkerThread[] }).workers.every((w) => !w.running));
});

test('flags and makeEngine: --threads and --kernels pick the engine; the record names both', async () => {
  assert.equal(parseFlags(['--threads', '2', '--kernels', 'naive', '--profile']), { ...DEFAULTS, threads: 2, kernels: 'naive', profile: true });
  assert.throws(() => parseFlags(['--threads', '0']), /--threads expects a positive integer/);
  assert.throws(() => parseFlags(['--kernels', 'turbo']), /--kernels must be one of naive, fast, simd, got "turbo"/);
  const cases: [Partial<typeof DEFAULTS>, string, number][] = [
    [{ kernels: 'naive', threads: 1 }, 'float32 js, naive kernels', 1],
    [{ kernels: 'fast', threads: 1 }, 'float32 js, fast kernels', 1],
    [{ kernels: 'naive', threads: 2 }, 'float32 js, naive kernels', 2],
    [{ kernels: 'fast', threads: 99 }, 'float32 js, fast kernels', 16], // at most one 8-unit block per thread
    [{ kernels: 'fast', threads: null }, 'float32 js, fast kernels', Math.min(usableCpus(), 16)], // the default
  ];
  const notes: string[] = [];
  for (const [flags, mode, threads] of cases) {
    const engine = await makeEngine({ ...DEFAULTS, ...flags }, (line) => notes.push(line));
    assert.equal([engine.info.mode, engine.info.threads], [mode, threads]);
    await engine.close();
  }
  assert.ok(notes.includes('bench: --threads 99 capped at 16: the hidden layer\'s units are split in blocks of at least 8'), notes.join('\n'));
});

// A file tree standing in for /: /proc/self/cgroup and the cgroup files under /sys/fs/cgroup.
// Each is removed once the test has read it.
function withRoot<T>(files: Record<string, string>, read: (root: string) => T): T {
  const root = tempDir('mnist-ts-cgroup-');
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, dirname(path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return read(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('cgroup CPU quotas (v2 and v1): the smallest from the process\'s cgroup up; none, unlimited or unreadable is null', () => {
  const v2 = (path: string, files: Record<string, string>) => withRoot({ 'proc/self/cgroup': `0::${path}\n`, ...files }, cgroupCpuQuota);
  assert.is(v2('/', { 'sys/fs/cgroup/cpu.max': '200000 100000\n' }), 2, 'docker --cpus 2');
  assert.is(v2('/', { 'sys/fs/cgroup/cpu.max': '150000 100000\n' }), 1.5);
  assert.is(v2('/', { 'sys/fs/cgroup/cpu.max': 'max 100000\n' }), null, 'no limit');
  assert.is(v2('/system.slice/job.service', {
    'sys/fs/cgroup/system.slice/cpu.max': '300000 100000', 'sys/fs/cgroup/system.slice/job.service/cpu.max': '800000 100000',
  }), 3, 'a parent\'s quota caps its child\'s');
  assert.is(v2('/kubepods/pod1/c1', { 'sys/fs/cgroup/cpu.max': '400000 100000' }), 4, 'a container sees its own cgroup as the root');
  assert.is(v2('/a/b', { 'sys/fs/cgroup/a/cpu.max': '250000 100000' }), 2.5, 'a path that exists only in part');
  assert.is(v2('/odd:name', { 'sys/fs/cgroup/odd:name/cpu.max': '100000 100000' }), 1, 'a colon in the path');
  assert.is(v2('/', { 'sys/fs/cgroup/cpu.max': 'garbage' }), null);
  const v1 = (mount: string, quotas: Record<string, string>) => withRoot({
    'proc/self/cgroup': `4:memory:/docker/abc\n3:${mount}:/docker/abc\n0::/\n`,
    ...Object.fromEntries(Object.entries(quotas).flatMap(([dir, quota]) => [
      [`sys/fs/cgroup/${mount}${dir}/cpu.cfs_quota_us`, quota], [`sys/fs/cgroup/${mount}${dir}/cpu.cfs_period_us`, '100000\n'],
    ])),
  }, cgroupCpuQuota);
  assert.is(v1('cpu,cpuacct', { '/docker/abc': '300000\n' }), 3);
  assert.is(v1('cpu', { '/docker/abc': '300000\n', '/docker': '200000\n' }), 2, 'a parent\'s, on a mount of its own');
  assert.is(v1('cpu,cpuacct,cpuset', { '': '50000\n' }), 0.5, 'a mount named by its controllers; the container at its root');
  assert.is(v1('cpu,cpuacct', { '/docker/abc': '-1\n' }), null, 'v1 says -1 for no limit');
  assert.is(withRoot({}, cgroupCpuQuota), null, 'no /proc/self/cgroup (not Linux)');
});

test('usableCpus and cpuBudget: the available parallelism capped by a quota; whole CPUs for threads, the fraction for spinning', () => {
  const n = availableParallelism();
  const quota = (cpus: number) => ({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': `${cpus * 100000} 100000` });
  assert.is(withRoot(quota(1), usableCpus), 1);
  assert.is(withRoot(quota(0.2), usableCpus), 1, 'at least one');
  assert.is(withRoot(quota(n + 8), usableCpus), n);
  assert.is(withRoot({}, usableCpus), n);
  if (n >= 2) {
    assert.is(withRoot(quota(1.5), usableCpus), 2);
    assert.is(withRoot(quota(1.5), cpuBudget), 1.5, 'two threads on 1.5 CPUs: no spinning');
  }
  assert.ok(usableCpus() >= 1 && usableCpus() <= n, 'this machine');
  assert.is(withRoot(quota(1), machineInfo).cores, 1, 'the run record\'s cores: the usable ones');
  assert.is(withRoot({}, machineInfo).cores, n);
});

test('bench: a run that diverges on two threads exits 3 with one line, and the process ends', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--data', dataDir(64, 8), '--threads', '2', '--learning-rate', '1e30'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.signal, null, 'killed by the timeout: the process hung');
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /^bench: training diverged at epoch 1, step \d+: .*; the learning rate 1e\+30 is too large; the reference uses 0\.001: try --learning-rate 0\.001\n$/);
});

test('bench --profile prints the five phases after each epoch', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--data', dataDir(64, 8), '--epochs', '2', '--threads', '2', '--profile'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.match(/^profile: .*$/gm) ?? [];
  assert.is(lines.length, 2);
  assert.match(lines[0] ?? "", /^profile: data \d+\.\d{3} \| forward \d+\.\d{3} \| loss \d+\.\d{3} \| backward \d+\.\d{3} \| optimizer \d+\.\d{3} \| total \d+\.\d{3} ms\/step over 2 steps$/);
  assert.match(r.stdout, /backend: cpu \(float32 js, fast kernels, 2 threads\)/);
  assert.match(r.stdout, /^Peak memory \(RSS\) on this machine: \d+ MB$/m);
});

test.run();
