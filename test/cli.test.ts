// Flags, the Keras-format lines, and the bench command as a user runs it (exit codes, one-line errors).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseFlags, helpText, FLAGS, DEFAULTS } from '../src/node/cli/flags.ts';
import { UserError } from '../src/train/errors.ts';
import { EVALUATE_FLAGS, parseEvaluateFlags, evaluateHelpText } from '../src/node/cli/evaluate.ts';
import { epochLine, evaluationLine, formatPerUnit, roundHalfEven } from '../src/train/keras_log.ts';
import { summaryText, speedWords } from '../src/train/results/report.ts';
import { makeRecord } from '../src/train/results/record.ts';
import { machineInfo } from '../src/node/machine.ts';
import { dataDir } from './idx.ts';
import { tempDir } from './helpers.ts';

test('flags: defaults, both value forms, every flag', () => {
  assert.equal(parseFlags([]), DEFAULTS);
  const o = parseFlags(['--epochs', '2', '--batch-size=64', '--learning-rate', '0.01', '--seed', '0', '--limit', '500', '--backend', 'gpujs', '--gpu-mode', 'webasm', '--data', '/d', '--json', 'r.json', '--save-model', 'm.bin']);
  assert.equal(o, { ...DEFAULTS, epochs: 2, batchSize: 64, learningRate: 0.01, seed: 0, limit: 500, backend: 'gpujs', gpuMode: 'webasm', data: '/d', json: 'r.json', saveModel: 'm.bin' });
  assert.is(parseFlags(['--help']).help, true);
  assert.is(parseFlags(['-h']).help, true);
});

const bad: [string[], RegExp][] = [
  [['--epochs', 'abc'], /--epochs expects a positive integer, got "abc"/],
  [['--epochs', '0'], /--epochs expects a positive integer, got "0"/],
  [['--limit', '1.5'], /--limit expects a positive integer, got "1.5"/],
  [['--batch-size', '-3'], /--batch-size expects a positive integer/],
  [['--batch-size', '60001'], /--batch-size expects at most 60000 \(the training set\), got 60001/],
  [['--learning-rate', 'fast'], /--learning-rate expects a positive number/],
  [['--learning-rate', '0'], /--learning-rate expects a positive number/],
  [['--seed', '-1'], /--seed expects an integer/],
  [['--epochs'], /--epochs needs a value N/],
  [['--epochs', '--limit', '5'], /--epochs needs a value N/],
  [['--backend', 'tpu'], /--backend must be one of cpu, gpujs, got "tpu"/],
  [['--gpu-mode', 'cuda'], /--gpu-mode must be one of auto, webgpu, headlessgl, webasm, cpu, got "cuda"/],
  [['--frobnicate'], /unknown flag --frobnicate/],
  [['extra'], /unexpected argument "extra"/],
  [['--epochs', '1', '--epochs', '2'], /--epochs given more than once/],
  [['--json='], /--json needs a non-empty value/],
  [['--results='], /--results needs a non-empty value/],
  [['--device='], /--device needs a non-empty value/],
  [['--help=yes'], /--help takes no value/],
  [['--epochs', '1e3'], /--epochs expects a positive integer, got "1e3"/],
  [['--epochs', '99999999999999999999'], /--epochs expects a positive integer/],
  [['--batch-size', '0'], /--batch-size expects a positive integer, got "0"/],
  [['--batch-size', 'abc'], /--batch-size expects a positive integer, got "abc"/],
  [['--learning-rate', '-0.001'], /--learning-rate expects a positive number, got "-0.001"/],
  [['--learning-rate', 'Infinity'], /--learning-rate expects a positive number, got "Infinity"/],
  [['--learning-rate', 'NaN'], /--learning-rate expects a positive number, got "NaN"/],
  [['--learning-rate='], /--learning-rate expects a positive number, got ""/],
  [['--seed', '4294967296'], /--seed expects an integer 0\.\.4294967295, got "4294967296"/],
  [['--seed', '1.5'], /--seed expects an integer/],
  [['--limit', '0'], /--limit expects a positive integer, got "0"/],
  [['--limit', 'all'], /--limit expects a positive integer, got "all"/],
  [['--backend', 'CPU'], /--backend must be one of cpu, gpujs, got "CPU"/],
  [['--backend='], /--backend must be one of cpu, gpujs, got ""/],
  [['--threads', '0'], /--threads expects a positive integer, got "0"/],
  [['--threads', 'two'], /--threads expects a positive integer, got "two"/],
  [['--kernels', 'turbo'], /--kernels must be one of naive, fast, simd, got "turbo"/],
  [['--gpu-mode='], /--gpu-mode must be one of auto, webgpu, headlessgl, webasm, cpu, got ""/],
  [['--data='], /--data needs a non-empty value/],
  [['--save-model='], /--save-model needs a non-empty value/],
  [['--save-model'], /--save-model needs a value FILE/],
  [['--hidden', '0'], /--hidden expects a positive integer, got "0"/],
  [['--hidden', '4097'], /--hidden expects at most 4096, got 4097/],
  [['--dropout', '1'], /--dropout expects a rate 0 <= P < 1, got "1"/],
  [['--dropout', '-0.1'], /--dropout expects a rate 0 <= P < 1, got "-0.1"/],
  [['--dropout='], /--dropout expects a rate 0 <= P < 1, got ""/],
  [['toString'], /unexpected argument "toString"/],
  [['__proto__', 'x'], /unexpected argument "__proto__"/],
  [['--constructor'], /unknown flag --constructor/],
  [['-x'], /unknown flag -x/],
];
for (const [argv, message] of bad) {
  test(`flags: rejects ${argv.join(' ')}`, () => {
    try {
      parseFlags(argv);
      assert.unreachable('should have thrown');
    } catch (e) {
      assert.instance(e, UserError);
      assert.is((e as UserError).exitCode, 2);
      assert.match((e as Error).message, message);
    }
  });
}

function usage(argv: string[], parse: (argv: string[]) => unknown = parseFlags): string {
  try {
    parse(argv);
  } catch (e) {
    assert.instance(e, UserError);
    assert.is((e as UserError).exitCode, 2);
    assert.not.match((e as Error).message, /\n/);
    assert.match((e as Error).message, / \(see --help\)$/);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

// A valid value for each value flag, to build the repeated-flag cases.
const SAMPLE: Record<string, string> = { N: '3', X: '0.01', NAME: 'cpu', MODE: 'webasm', SET: 'naive', DIR: '/d', FILE: 'f', P: '0.5' };

test('every flag: given twice, missing its value, or empty is a usage error; every value flag has a malformed case', () => {
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const one = spec.value === null ? [flag] : [flag, SAMPLE[spec.value]];
    assert.ok(spec.value === null || SAMPLE[spec.value] !== undefined, `no sample value for ${flag} ${spec.value}`);
    parseFlags(one); // valid once...
    assert.match(usage([...one, ...one]), new RegExp(`${flag} given more than once`)); // ...not twice
    if (spec.value === null) {
      assert.match(usage([`${flag}=1`]), /takes no value/);
      continue;
    }
    assert.match(usage([flag]), new RegExp(`${flag} needs a value ${spec.value}`));
    assert.match(usage([flag, '--help']), new RegExp(`${flag} needs a value`));
    usage([`${flag}=`]);
    // A path takes any non-empty text, so for DIR and FILE the malformed value is the empty one.
    assert.ok(bad.some(([argv]) => (argv[0] === flag && argv.length === 2) || argv[0] === `${flag}=`), `no malformed-value case for ${flag} in the table`);
  }
});

test('evaluate flags: the same rules, its own table, its help lists exactly its flags', () => {
  for (const [flag, spec] of Object.entries(EVALUATE_FLAGS)) {
    const one = spec.value === null ? [flag] : [flag, SAMPLE[spec.value]];
    const withModel = flag === '--model' ? [] : ['--model', 'm'];
    parseEvaluateFlags([...withModel, ...one]);
    assert.match(usage([...withModel, ...one, ...one], parseEvaluateFlags), new RegExp(`${flag} given more than once`));
    if (spec.value !== null) {
      assert.match(usage([...withModel, flag], parseEvaluateFlags), new RegExp(`${flag} needs a value ${spec.value}`));
      usage([...withModel, `${flag}=`], parseEvaluateFlags);
    }
  }
  assert.match(usage(['--model', 'm', '--batch-size', '0'], parseEvaluateFlags), /--batch-size expects a positive integer, got "0"/);
  assert.match(usage(['--model', 'm', '--epochs', '2'], parseEvaluateFlags), /unknown flag --epochs/);
  assert.match(usage(['--data', 'd'], parseEvaluateFlags), /--model FILE is required/);
  const listed = [...evaluateHelpText('evaluate').matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
  assert.equal(listed.sort(), Object.keys(EVALUATE_FLAGS).sort());
});

test('help lists exactly the flags the parser accepts', () => {
  const help = helpText('bench');
  const listed = [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
  assert.equal(listed.sort(), Object.keys(FLAGS).sort());
});

test('Keras lines: epoch (verbose=1) and evaluation (verbose=2) shapes', () => {
  assert.is(epochLine(1875, 17.2, 0.29181, 0.91577), '1875/1875 [==============================] - 17s 9ms/step - loss: 0.2918 - accuracy: 0.9158');
  assert.is(epochLine(188, 1.1, 0.7, 0.8), '188/188 [==============================] - 1s 6ms/step - loss: 0.7000 - accuracy: 0.8000');
  assert.is(evaluationLine(313, 0.56, 0.0732, 0.9776), '313/313 - 1s - loss: 0.0732 - accuracy: 0.9776 - 560ms/epoch - 2ms/step');
  assert.is(formatPerUnit(0.000596, 'step'), '596us/step');
  assert.is(formatPerUnit(2.4, 'step'), '2s/step');
  assert.is(roundHalfEven(0.5), 0);
  assert.is(roundHalfEven(2.5), 2);
  assert.is(roundHalfEven(3.5), 4);
});

test('summary: steady epochs against the references\' steady epochs (Pi 8.0 s, Jetson 16.5 s), never a warm-up epoch against a mean', () => {
  const epochs = [6.1, 4.2].map((seconds, i) => ({ epoch: i + 1, steps: 1875, seconds, msPerStep: (seconds * 1000) / 1875, loss: 0.1, accuracy: 0.9 }));
  const record = makeRecord({ ...DEFAULTS, epochs: 2 }, machineInfo(), { name: 'cpu', mode: 'float32 js', threads: 1 }, epochs, null);
  const text = summaryText(record);
  assert.match(text, /Average training time per epoch on the Raspberry Pi 5: 8\.4s/);
  assert.match(text, /Average training time per epoch on the Jetson Nano: 16\.6s/);
  assert.match(text, /Total training time on the Raspberry Pi 5: 42s/);
  assert.match(text, /^This machine is 1\.90 times faster than the Raspberry Pi 5 per epoch \(epoch 2 here against its epochs 2-5, both after warm-up: 4\.20s against 8\.0s\)\.$/m);
  assert.match(text, /^This machine is 3\.93 times faster than the Jetson Nano per epoch \(epoch 2 here against its epochs 2-5, both after warm-up: 4\.20s against 16\.5s\)\.$/m);
  assert.is(speedWords(10, 5), '2.00 times slower');
  // A partial epoch (--limit, or a small --data set) compares per step: 8.0 s / 1875 = 4.27 ms a step.
  const small = summaryText(record, 6400);
  assert.not.match(small, /than the .* per epoch/);
  assert.match(small, /^This machine is 1\.90 times faster than the Raspberry Pi 5 per step \(epoch 2 here against its epochs 2-5, both after warm-up: 2\.24ms against 4\.27ms\)\.$/m);
  assert.match(small, /^Steps are compared: an epoch here is 6400 images, not 60000\.$/m);
});

test('summary: one short epoch gives no verdict (it is mostly warm-up) and says what to run; one whole epoch meets the Pi\'s first', () => {
  // The report that started this: 157 steps at a warm-up pace, 4.9 ms a step, read as "1.10 times slower".
  const one = [{ epoch: 1, steps: 157, seconds: 0.77, msPerStep: 4.9, loss: 0.6, accuracy: 0.83 }];
  const short = summaryText(makeRecord({ ...DEFAULTS, epochs: 1, limit: 5000 }, machineInfo(), { name: 'cpu', mode: 'm', threads: 2 }, one, null), 5000);
  assert.not.match(short, /times (faster|slower)/);
  assert.match(short, /^No speed ratio: one short epoch \(157 steps\) is mostly warm-up \(the JIT compiling the kernels\)\. For a fair figure run 2 or more epochs \(--epochs 3\): epochs 2 and later are compared per step with the references' steady epochs\.$/m);
  const whole = [{ epoch: 1, steps: 1875, seconds: 2.5, msPerStep: 1.33, loss: 0.29, accuracy: 0.91 }];
  const full = summaryText(makeRecord({ ...DEFAULTS, epochs: 1 }, machineInfo(), { name: 'cpu', mode: 'm', threads: 2 }, whole, null));
  assert.match(full, /^This machine is 4\.00 times faster than the Raspberry Pi 5 per epoch \(epoch 1, warm-up included on both sides: 2\.50s against 10\.0s\)\.$/m);
  assert.match(full, /^One epoch includes warm-up \(the JIT compiling the kernels\)\. For a fair figure run 2 or more epochs \(--epochs 3\)/m);
  const batch64 = summaryText(makeRecord({ ...DEFAULTS, epochs: 2, batchSize: 64 }, machineInfo(), { name: 'cpu', mode: 'm', threads: 2 }, [...whole, { ...whole[0], epoch: 2 }], null));
  assert.match(batch64, /^No speed ratio: --batch-size 64 is not the reference's 32/m);
});

// The command as a user runs it, in a child process.
function bench(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bench: a bad flag is a one-line usage error, exit 2', () => {
  const r = bench(['--epochs', 'abc']);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'bench: --epochs expects a positive integer, got "abc" (see --help)\n');
});

test('bench: missing data is a one-line error naming the file, non-zero exit, no stack', () => {
  const r = bench(['--data', '/nonexistent/mnist']);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'bench: missing data file (ENOENT): /nonexistent/mnist/train-images-idx3-ubyte\n');
});

test('bench: --gpu-mode without --backend gpujs is a usage error, exit 2', () => {
  const r = bench(['--gpu-mode', 'webasm']);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'bench: --gpu-mode applies to --backend gpujs only (see --help)\n');
});

test('bench: --threads or --kernels with --backend gpujs is a usage error, exit 2', () => {
  const r = bench(['--data', dataDir(64, 20), '--backend', 'gpujs', '--threads', '2']);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'bench: --threads and --kernels apply to --backend cpu only (see --help)\n');
});

test('bench: --limit above the training set and --threads above the cores or the cap are used or capped with one line saying which', () => {
  const data = dataDir(64, 20);
  const limit = bench(['--data', data, '--epochs', '1', '--limit', '100000', '--threads', '1']);
  assert.is(limit.code, 0, limit.stderr);
  assert.is(limit.stderr, 'bench: --limit 100000 capped at 64: there are 64 training images\n');
  const capped = bench(['--data', data, '--epochs', '1', '--threads', '40']);
  assert.is(capped.code, 0, capped.stderr);
  assert.is(capped.stderr, 'bench: --threads 40 capped at 16: the hidden layer\'s units are split in blocks of at least 8\n');
  assert.match(capped.stdout, /16 threads\)/);
  const cores = availableParallelism();
  if (cores < 16) {
    const many = bench(['--data', data, '--epochs', '1', '--threads', String(cores + 1)]);
    assert.is(many.code, 0, many.stderr);
    assert.match(many.stderr, new RegExp(`^bench: --threads ${cores + 1} used as given, above the \\d+ usable cores?: threads will share cores \\(slower\\)\\n$`));
  }
  const within = bench(['--data', data, '--epochs', '1', '--threads', '1', '--limit', '64']);
  assert.is(within.stderr, '', 'nothing to say');
});

test('bench: --help prints the flags and exits 0', () => {
  const r = bench(['--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /--learning-rate X/);
});

test('bench: a short run on a small folder prints the Keras log and writes the record', () => {
  const dir = dataDir(64, 20);
  const json = join(tempDir('mnist-ts-'), 'run.json');
  const r = bench(['--data', dir, '--epochs', '2', '--json', json]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Epoch 1\/2\n2\/2 \[==============================\] - \d+[mu]?s \d+[mu]?s\/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\nEpoch 2\/2\n/m);
  assert.match(r.stdout, /^1\/1 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+[mu]?s\/epoch - \d+[mu]?s\/step$/m);
  const record = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(record.schema, 1);
  assert.is(record.epochs.length, 2);
  assert.is(record.backend.name, 'cpu');
  assert.equal(record.flags, { epochs: 2, batchSize: 32, learningRate: 0.001, seed: 1, limit: null });
  assert.ok(record.test.accuracy >= 0 && record.test.accuracy <= 1);
});

// `npm run bench` runs dist/bench.mjs, the build of bench/run.ts (scripts/build.mjs): the same run,
// bit for bit, as the TypeScript sources under tsx.
function built(args: string[]) {
  const r = spawnSync(process.execPath, ['--enable-source-maps', 'dist/bench.mjs', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('build: dist/bench.mjs trains exactly as the sources under tsx and records the same', () => {
  const dir = dataDir(64, 20);
  const [a, b] = [join(tempDir('mnist-ts-'), 'a.json'), join(tempDir('mnist-ts-'), 'b.json')];
  const viaDist = built(['--data', dir, '--epochs', '2', '--threads', '2', '--json', a]);
  const viaTsx = bench(['--data', dir, '--epochs', '2', '--threads', '2', '--json', b]);
  assert.is(viaDist.code, 0, viaDist.stderr);
  assert.is(viaTsx.code, 0, viaTsx.stderr);
  const numbers = (stdout: string) => stdout.match(/loss: \d\.\d{4} - accuracy: \d\.\d{4}/g);
  assert.equal(numbers(viaDist.stdout), numbers(viaTsx.stdout));
  assert.is(numbers(viaDist.stdout)!.length, 3); // two epochs and the evaluation
  const [ra, rb] = [a, b].map((f) => JSON.parse(readFileSync(f, 'utf8')));
  assert.equal(ra.epochs.map((e: { loss: number }) => e.loss), rb.epochs.map((e: { loss: number }) => e.loss));
  assert.equal(ra.test, { ...rb.test, seconds: ra.test.seconds });
});

test('build: errors through dist/ are one line with the same exit code; its source map names the .ts files', () => {
  const r = built(['--epochs', 'abc']);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'bench: --epochs expects a positive integer, got "abc" (see --help)\n');
  const map = /sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(readFileSync('dist/bench.mjs', 'utf8'));
  assert.ok(map, 'an inline source map');
  const sources: string[] = JSON.parse(Buffer.from(map![1], 'base64').toString('utf8')).sources;
  assert.ok(sources.some((f) => f.endsWith('src/train/engines/threaded/engine.ts')), sources.join(' '));
});

test('scripts/run.mjs: runs a command from dist/ in its own process with the command\'s arguments and exit code; bad usage is one line, exit 2', () => {
  const r = spawnSync(process.execPath, ['scripts/run.mjs', 'bench', '--epochs', 'abc'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.is(r.stderr, 'bench: --epochs expects a positive integer, got "abc" (see --help)\n');
  const help = spawnSync(process.execPath, ['scripts/run.mjs', 'compare', '--help'], { encoding: 'utf8' });
  assert.is(help.status, 0);
  assert.match(help.stdout, /^Usage: npm run compare/);
  const usage = spawnSync(process.execPath, ['scripts/run.mjs'], { encoding: 'utf8' });
  assert.is(usage.status, 2);
  assert.match(usage.stderr, /^run: usage: node scripts\/run\.mjs NAME \[args\]/);
});

test('build: up to date, it writes nothing; a source newer than dist/ rebuilds', () => {
  const run = () => spawnSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8' });
  assert.is(run().status, 0);
  const stamp = statSync('dist/.built').mtimeMs;
  const again = run();
  assert.is(again.stderr, 'build: dist/ is up to date\n');
  assert.is(statSync('dist/.built').mtimeMs, stamp);
  const later = new Date(stamp + 1); // newer than the stamp, older than the rebuild's
  utimesSync('src/train/loop.ts', later, later);
  const rebuilt = run();
  assert.is(rebuilt.status, 0, rebuilt.stderr);
  assert.is(rebuilt.stderr, 'build: dist/ written\n');
  assert.ok(statSync('dist/.built').mtimeMs > stamp);
});

test('bench:ab: one checkout against itself runs, pairs every chunk, a ratio near 1; bad usage is one line, exit 2', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/dev/ab.ts', '.', '.', '150', '1'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\.: median \d+ us a step over 2 chunks of 75\n\.: median \d+ us a step over 2 chunks of 75\n/);
  const ratio = Number(/B\/A, chunk by chunk: median (\d+\.\d+) \(below 1: B faster\), 1 thread\n$/.exec(r.stdout)?.[1]);
  assert.ok(ratio > 0.2 && ratio < 5, `ratio ${ratio}`);
  const usage = spawnSync(process.execPath, ['--import', 'tsx', 'bench/dev/ab.ts', '.'], { encoding: 'utf8' });
  assert.is(usage.status, 2);
  assert.is(usage.stderr, 'bench:ab: usage: npm run bench:ab -- DIR_A DIR_B [steps, 4500] [threads, 2] [KERNELS_A, fast] [KERNELS_B, fast]\n');
});

test('a reader that stops early (| head): the command ends quietly, exit 0, no stack trace', async () => {
  // Many epochs of a tiny set: lines keep coming after the pipe has closed.
  const child = spawn(process.execPath, ['dist/bench.mjs', '--data', dataDir(64, 20), '--epochs', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  child.stdout.once('data', () => child.stdout.destroy()); // the first chunk, then the pipe closes
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.is(stderr, '');
  assert.is(code, 0);
});

test.run();
