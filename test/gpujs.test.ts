// The gpu.js backend: every gpu.js kernel against its Float32Array twin on the training shapes, in the
// two modes CI has (webasm, cpu); a short training run against the CPU backend; the unavailable-mode error.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import gpujs from 'gpu.js';
import { matmulForward, matmulBackward } from '../src/tensor/matmul.ts';
import { biasForward, biasBackward } from '../src/tensor/bias.ts';
import { reluForward, reluBackward } from '../src/tensor/relu.ts';
import { dropoutForward, dropoutBackward } from '../src/tensor/dropout.ts';
import { softmaxCrossEntropyForward, softmaxCrossEntropyBackward, type LossResult } from '../src/tensor/softmax_cross_entropy.ts';
import { adamUpdate } from '../src/tensor/adam.ts';
import { matmulForward as gpuMatmulForward, matmulBackwardWeight, matmulBackwardInput, compressRows, compressColumns, sparseMatmulForward, sparseMatmulBackwardWeight } from '../src/tensor/gpujs/matmul.ts';
import { biasForward as gpuBiasForward, biasBackward as gpuBiasBackward } from '../src/tensor/gpujs/bias.ts';
import { biasReluForward, reluBackward as gpuReluBackward } from '../src/tensor/gpujs/relu.ts';
import { drawDropoutMask, dropoutForward as gpuDropoutForward, dropoutBackward as gpuDropoutBackward } from '../src/tensor/gpujs/dropout.ts';
import { softmaxCrossEntropyForward as gpuSceForward, softmaxCrossEntropyBackward as gpuSceBackward } from '../src/tensor/gpujs/softmax_cross_entropy.ts';
import { adamStepSize, adamFirstMoment, adamSecondMoment, adamParam } from '../src/tensor/gpujs/adam.ts';
import { glorotUniform } from '../src/tensor/init.ts';
import { KERAS_ADAM } from '../src/nn/optimizer.ts';
import { runBench } from '../src/node/cli/bench.ts';
import { DEFAULTS } from '../src/node/cli/flags.ts';
import { loadMnist, packageDataDir } from '../src/node/mnist_files.ts';
import { IMAGE_MAGIC, LABEL_MAGIC, ROWS, COLS, type Split } from '../src/train/data/idx.ts';
import { makeRng, randomF32, randomLabels } from './helpers.ts';
import { dataDir } from './idx.ts';
import { nextFloat } from '../src/tensor/rng.ts';

const { GPU, Input } = gpujs;
const B = 32, IN = 784, H = 128, C = 10;
const TOL = 1e-5;

// Training-like data: sparse pixels in [0,1] (about 19% nonzero), Glorot weights, ReLU-like activations.
const rng = makeRng(40);
const x = new Float32Array(B * IN).map(() => (nextFloat(rng) < 0.19 ? nextFloat(rng) : 0));
const W1 = new Float32Array(IN * H); glorotUniform(W1, IN, H, rng);
const W2 = new Float32Array(H * C); glorotUniform(W2, H, C, rng);
const b1 = randomF32(H, rng, -0.1, 0.1), b2 = randomF32(C, rng, -0.1, 0.1);
const hidden = randomF32(B * H, rng).map((v) => (v > 0 ? v : 0));
const preact = randomF32(B * H, rng);
const dh = randomF32(B * H, rng, -0.01, 0.01);
const logits = randomF32(B * C, rng, -4, 4);
const dlogits = randomF32(B * C, rng, -0.03, 0.03);
const labels = randomLabels(B, C, rng);

// A value as a gpu.js input of `rows` rows and `cols` columns.
const mat = (a: Float32Array, rows: number, cols: number) => new Input(a as unknown as number[], [cols, rows]);

// Kernel results come back as rows of Float32Arrays (2D outputs); flatten them for comparison.
function flat(result: unknown): Float32Array {
  const rows = result as ArrayLike<number>[];
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let offset = 0;
  for (const r of rows) { out.set(r, offset); offset += r.length; }
  return out;
}

// Worst elementwise relative error |a-e| / |e|, throwing with the worst index. An element that is a
// sum cancelling to below a tenth of the tensor's largest is measured against that tenth instead:
// its f32 rounding error scales with its terms, not with the small result. A wrong or missing term
// is still off by about the size of a term, orders of magnitude above the tolerance.
function assertRelative(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]));
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), largest / 10, 1e-30);
    if (!(err <= worst)) { worst = err; at = i; }
  }
  if (!(worst <= TOL)) throw new Error(`${what}: relative error ${worst.toExponential(2)} > ${TOL} at ${at} (${actual[at]} vs ${expected[at]})`);
}

for (const mode of ['webasm', 'cpu'] as const) {
  const gpu = new GPU({ mode });
  const run = (fn: unknown, output: number[], constants: Record<string, number>, ...args: unknown[]): Float32Array => {
    const kernel = gpu.createKernel(fn as never, { output, constants } as never) as unknown as (...a: unknown[]) => unknown;
    const result = kernel(...args);
    const used = (kernel as unknown as { kernel: { constructor: { mode: string }; fallbackReason: string | null } }).kernel;
    assert.is(used.constructor.mode, mode, `ran in ${used.constructor.mode} (${used.fallbackReason})`);
    return output[1] === undefined ? Float32Array.from(result as ArrayLike<number>) : flat(result);
  };

  test(`${mode}: the matmul kernels equal matmul.ts`, () => {
    const out1 = new Float32Array(B * H);
    matmulForward(out1, x, W1, B, IN, H);
    const byRow = [new Float32Array(B * IN), new Float32Array(B * IN), new Float32Array(B)] as const;
    compressRows(byRow[0], byRow[1], byRow[2], x, B, B, IN);
    assertRelative(run(sparseMatmulForward, [H, B], { IN }, mat(byRow[0], B, IN), mat(byRow[1], B, IN), byRow[2], mat(W1, IN, H)), out1, 'sparse forward');
    assertRelative(run(gpuMatmulForward, [H, B], { IN }, mat(x, B, IN), mat(W1, IN, H)), out1, 'dense forward, layer 1');

    const out2 = new Float32Array(B * C);
    matmulForward(out2, hidden, W2, B, H, C);
    assertRelative(run(gpuMatmulForward, [C, B], { IN: H }, mat(hidden, B, H), mat(W2, H, C)), out2, 'forward, layer 2');

    const dW1 = new Float32Array(IN * H);
    matmulBackward(null, dW1, dh, x, W1, B, IN, H);
    const byCol = [new Float32Array(IN * B), new Float32Array(IN * B), new Float32Array(IN)] as const;
    compressColumns(byCol[0], byCol[1], byCol[2], x, B, B, IN);
    assertRelative(run(sparseMatmulBackwardWeight, [H, IN], { B }, mat(dh, B, H), mat(byCol[0], IN, B), mat(byCol[1], IN, B), byCol[2]), dW1, 'sparse dweight');
    assertRelative(run(matmulBackwardWeight, [H, IN], { B }, mat(dh, B, H), mat(x, B, IN)), dW1, 'dense dweight, layer 1');

    const dW2 = new Float32Array(H * C), dhid = new Float32Array(B * H);
    matmulBackward(dhid, dW2, dlogits, hidden, W2, B, H, C);
    assertRelative(run(matmulBackwardWeight, [C, H], { B }, mat(dlogits, B, C), mat(hidden, B, H)), dW2, 'dweight, layer 2');
    assertRelative(run(matmulBackwardInput, [H, B], { OUT: C }, mat(dlogits, B, C), mat(W2, H, C)), dhid, 'dinp, layer 2');
  });

  test(`${mode}: bias, ReLU and dropout kernels equal bias.ts, relu.ts, dropout.ts`, () => {
    const z = preact.slice(), a = new Float32Array(B * H);
    biasForward(z, b1, B, H);
    reluForward(a, z, B * H);
    assertRelative(run(biasReluForward, [H, B], {}, mat(preact, B, H), mat(b1, 1, H)), a, 'bias + ReLU');
    const l = logits.slice();
    biasForward(l, b2, B, C);
    assertRelative(run(gpuBiasForward, [C, B], {}, mat(logits, B, C), mat(b2, 1, C)), l, 'bias');
    const db = new Float32Array(H);
    biasBackward(db, dh, B, H);
    assertRelative(run(gpuBiasBackward, [H, 1], { B }, mat(dh, B, H)), db, 'dbias');
    const dz = new Float32Array(B * H);
    reluBackward(dz, dh, z, B * H);
    assertRelative(run(gpuReluBackward, [H, B], {}, mat(dh, B, H), mat(a, B, H)), dz, 'ReLU backward');

    const mask = new Float32Array(B * H), dropped = new Float32Array(B * H), ddrop = new Float32Array(B * H);
    dropoutForward(dropped, mask, hidden, 0.2, B * H, makeRng(5, 1));
    const drawn = new Float32Array(B * H);
    drawDropoutMask(drawn, 0.2, B * H, makeRng(5, 1));
    assert.equal(drawn, mask, 'the same seed draws the same mask');
    assertRelative(run(gpuDropoutForward, [H, B], {}, mat(hidden, B, H), mat(drawn, B, H)), dropped, 'dropout');
    dropoutBackward(ddrop, dh, mask, B * H);
    assertRelative(run(gpuDropoutBackward, [H, B], {}, mat(dh, B, H), mat(drawn, B, H)), ddrop, 'dropout backward');
  });

  test(`${mode}: softmax cross-entropy kernels equal softmax_cross_entropy.ts, full and short batches`, () => {
    const labelValues = Float32Array.from(labels);
    for (const rows of [B, 16]) {
      const probs = new Float32Array(B * C), result: LossResult = { lossSum: 0, correct: 0 };
      softmaxCrossEntropyForward(probs, logits, labels, rows, C, result);
      const perRow = run(gpuSceForward, [2, B], { C }, mat(logits, B, C), labelValues, rows);
      let lossSum = 0, correct = 0;
      for (let b = 0; b < B; b++) { lossSum += perRow[2 * b]; correct += perRow[2 * b + 1]; }
      assertRelative(Float32Array.of(lossSum), Float32Array.of(result.lossSum), `loss, ${rows} rows`);
      assert.is(correct, result.correct, `hits, ${rows} rows`);
      const expected = new Float32Array(B * C);
      softmaxCrossEntropyBackward(expected, probs, labels, rows, C);
      assertRelative(run(gpuSceBackward, [C, B], { C }, mat(logits, B, C), labelValues, rows), expected, `dlogits, ${rows} rows`);
    }
  });

  test(`${mode}: the three Adam kernels equal adam.ts`, () => {
    const n = IN * H, t = 3;
    const param = W1.slice(), m = randomF32(n, rng, -0.01, 0.01), v = randomF32(n, rng, 0, 1e-4), g = randomF32(n, rng, -0.02, 0.02);
    const config = { ...KERAS_ADAM };
    const constants = { beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon };
    const m1 = run(adamFirstMoment, [H, IN], constants, mat(m, IN, H), mat(g, IN, H));
    const v1 = run(adamSecondMoment, [H, IN], constants, mat(v, IN, H), mat(g, IN, H));
    const p1 = run(adamParam, [H, IN], constants, mat(param, IN, H), mat(m1, IN, H), mat(v1, IN, H), adamStepSize(config, t));
    assert.ok(adamUpdate(param, m, v, g, config, t, n));
    assertRelative(m1, m, 'm');
    assertRelative(v1, v, 'v');
    assertRelative(p1, param, 'param');
  });

  test.after(() => gpu.destroy());
}

// The first `train` and `test` examples of the real MNIST files, as a data folder (IDX files).
function mnistSubset(train: number, test: number): string {
  const data = loadMnist(packageDataDir());
  const images = (split: Split, n: number) => idxHeader([IMAGE_MAGIC, n, ROWS, COLS], split.images.subarray(0, n * ROWS * COLS));
  const labels = (split: Split, n: number) => idxHeader([LABEL_MAGIC, n], split.labels.subarray(0, n));
  return dataDir(0, 0, {
    trainImages: images(data.train, train), trainLabels: labels(data.train, train),
    testImages: images(data.test, test), testLabels: labels(data.test, test),
  });
}

function idxHeader(header: number[], body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 * header.length + body.length);
  const view = new DataView(bytes.buffer);
  header.forEach((v, i) => view.setUint32(4 * i, v));
  bytes.set(body, 4 * header.length);
  return bytes;
}

test('gpujs (webasm) trains like the cpu backend: same seed, 1 epoch on 2000 images, test accuracy (1000 images) within 0.01', async () => {
  const quiet = { isTTY: false, write: () => true };
  const data = mnistSubset(2000, 1000);
  const cpu = await runBench({ ...DEFAULTS, epochs: 1, data }, quiet);
  // The engine names on stderr any kernel that gpu.js ran in another mode than the one asked for.
  let warnings = '';
  const stderrWrite = process.stderr.write;
  process.stderr.write = ((chunk: string) => { warnings += chunk; return true; }) as typeof process.stderr.write;
  let gpu;
  try {
    gpu = await runBench({ ...DEFAULTS, epochs: 1, data, backend: 'gpujs', gpuMode: 'webasm' }, quiet);
  } finally {
    process.stderr.write = stderrWrite;
  }
  assert.equal(gpu.record.backend, { name: 'gpujs', mode: 'webasm', threads: 1 });
  assert.is(warnings, '', 'every kernel ran in webasm');
  const [a, b] = [cpu.record.test!.accuracy, gpu.record.test!.accuracy];
  assert.ok(a > 0.8 && Math.abs(a - b) <= 0.01, `test accuracy cpu ${a}, gpujs ${b}`);
  assert.ok(Math.abs(cpu.record.epochs[0].loss - gpu.record.epochs[0].loss) < 0.01, `epoch loss cpu ${cpu.record.epochs[0].loss}, gpujs ${gpu.record.epochs[0].loss}`);
});

function bench(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench: an unavailable gpu.js mode is a one-line error naming why and the modes that work, exit 4', () => {
  // headless-gl is a stub unless installed on purpose (package.json "overrides").
  const r = bench(['--backend', 'gpujs', '--gpu-mode', 'headlessgl', '--limit', '32', '--epochs', '1']);
  assert.is(r.code, 4, r.stderr);
  assert.match(r.stderr, /^bench: --gpu-mode headlessgl is not available here: the gl package is not usable \([^\n]+\); available modes: [a-z, ]*webasm, cpu \(see docs\/gpu\.md\)\n$/);
  assert.is(r.stdout, '');
});

test('bench --backend gpujs (auto) with no GPU says, in one line, that gpu.js fell back to the CPU and why', () => {
  const r = bench(['--backend', 'gpujs', '--data', dataDir(32, 8), '--epochs', '1', '--batch-size', '16']);
  assert.is(r.code, 0, r.stderr);
  const mode = /^backend: gpujs \(([a-z]+), 1 thread\)/m.exec(r.stdout)?.[1];
  if (mode === 'webasm' || mode === 'cpu') {
    assert.match(r.stderr, new RegExp(`^gpujs: no GPU found \\(webgpu: [^;\\n]+; headlessgl: [^\\n]+\\), so gpu.js runs in its ${mode} mode on the CPU\\n$`));
  } else {
    assert.not.match(r.stderr, /no GPU found/, `a GPU answered (${mode})`);
  }
});

test('--backend cpu never loads gpu.js', () => {
  const code = `
    import { createRequire } from 'node:module';
    import { makeEngine } from './src/node/cli/engines.ts';
    import { DEFAULTS } from './src/node/cli/flags.ts';
    await makeEngine(DEFAULTS);
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('gpu.js'));
    console.log(JSON.stringify(loaded));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), []);
});

test.run();
