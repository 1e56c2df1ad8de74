// The gradient checker itself: its relative error and bands, that it passes the real kernels and
// network, that every deliberate break fails it, and `npm run gradcheck`'s exit codes (0, 1, 2).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  STEP, BACKWARD, BREAKS, band, relError, worstElement, numericGrad, f64, brokenKernels, checkKernels, checkNetwork,
  routeThrough, NETWORK, NETWORK_BATCH,
} from '../src/nn/gradcheck.ts';
import { checkTwins } from '../src/nn/twincheck.ts';
import { Model } from '../src/nn/model.ts';
import { makeRng, nextFloat } from '../src/tensor/rng.ts';

test('relError is |a-n| / max(|a|,|n|): scale-free, symmetric, 0 for two zeros', () => {
  assert.is(relError(0, 0), 0);
  assert.is(relError(2.5, 2.5), 0);
  assert.is(relError(1, 0), 1);
  assert.is(relError(1, -1), 2);
  assert.ok(Math.abs(relError(1, 1.01) - 0.01 / 1.01) < 1e-15);
  assert.is(relError(1e-9, 1.01e-9), relError(1.01e-9, 1e-9));
  assert.ok(Math.abs(relError(1e-9, 1.01e-9) - relError(1, 1.01)) < 1e-12);
});

test('band follows cs231n: < 1e-7 good, < 1e-4 ok, < 1e-2 suspicious, above wrong (NaN too)', () => {
  assert.is(band(0), 'good');
  assert.is(band(3e-8), 'good');
  assert.is(band(2e-7), 'ok');
  assert.is(band(9e-5), 'ok');
  assert.is(band(2e-4), 'suspicious');
  assert.is(band(9e-3), 'suspicious');
  assert.is(band(2e-2), 'wrong');
  assert.is(band(Infinity), 'wrong');
  assert.is(band(NaN), 'wrong');
});

test('worstElement names the worst index, and a NaN is the worst of all', () => {
  const w = worstElement([1, 2, 3, 4], [1, 2.2, 3, 4.1]);
  assert.is(w.index, 1);
  assert.is(w.analytic, 2);
  assert.is(w.numeric, 2.2);
  assert.is(worstElement([0, 0], [0, 0]).index, -1);
  const nan = worstElement([1, NaN, 1], [1, 1, 2]);
  assert.is(nan.index, 1);
  assert.is(nan.error, Infinity);
  assert.throws(() => worstElement([1], [1, 2]), /lengths/);
});

test('numericGrad: centred differences of Σ x³ give 3x² to O(h²), and x is left as it was', () => {
  const rng = makeRng(1), x = f64(7);
  for (let i = 0; i < x.length; i++) x[i] = 2 * nextFloat(rng) - 1;
  const before = Float64Array.from(x);
  const g = numericGrad(x, () => { let s = 0; for (const v of x) s += v * v * v; return s; });
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(g[i] - 3 * x[i] * x[i]) < 1e-9, `[${i}] ${g[i]}`);
  assert.equal(Array.from(x), Array.from(before));
});

test('the real kernels and network pass: nothing suspicious, no step crosses the ReLU kink', () => {
  const { checks, kinkMargin } = checkNetwork();
  for (const c of [...checkKernels(), ...checks]) assert.ok(c.band === 'good' || c.band === 'ok', `${c.name}: ${c.worst.error}`);
  assert.ok(kinkMargin > STEP, `kink margin ${kinkMargin}`);
  assert.is(checks.length, 4);
});

test('routeThrough with the real kernels changes no bit of the network gradient', () => {
  const B = NETWORK_BATCH, rng = makeRng(3);
  const x = f64(B * NETWORK.inputs);
  for (let i = 0; i < x.length; i++) x[i] = nextFloat(rng);
  const y = Uint8Array.from({ length: B }, (_, b) => b % NETWORK.classes);
  const grads = (route: boolean): number[] => {
    const model = new Model(NETWORK, B, 5, f64);
    if (route) routeThrough(model, BACKWARD);
    model.forward(x, y, B, true);
    model.zeroGrad();
    model.backward(x, y, B);
    return Array.from(model.grads);
  };
  assert.equal(grads(true), grads(false));
});

test('every break is caught: its kernel check and some network check land in the wrong band', () => {
  assert.is(brokenKernels('no-such-break'), null);
  for (const b of BREAKS) {
    const k = brokenKernels(b.name);
    assert.ok(k !== null);
    const kernels = checkKernels(k).filter((c) => c.band === 'wrong');
    const network = checkNetwork(k).checks.filter((c) => c.band === 'wrong');
    assert.ok(kernels.length > 0, `${b.name}: no kernel check failed`);
    assert.ok(network.length > 0, `${b.name}: no network check failed`);
  }
});

test('every fast twin agrees with its naive twin (float64: at most rounding)', () => {
  const twins = checkTwins();
  assert.ok(twins.length >= 10);
  for (const t of twins) assert.ok(t.band === 'good', `${t.name}: abs ${t.maxAbs}, rel ${t.maxRel}`);
});

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'bench/gradcheck.ts', ...args], { encoding: 'utf8' });

test('npm run gradcheck: exit 0, a header naming the method and h, one line per check', () => {
  const r = run();
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /centred differences .* float64, h = 1e-5/);
  for (const name of ['relu dinp', 'bias dbias', 'matmul dinp', 'matmul dweight', 'dropout dinp', 'softmax cross-entropy dlogits', 'network dW1', 'network db1', 'network dW2', 'network db2']) {
    assert.is(r.stdout.split('\n').filter((l) => l.trimStart().startsWith(name)).length, 1, name);
  }
  assert.match(r.stdout, /10 checks: .* 0 wrong/);
  const fast = run('--kernels', 'fast');
  assert.is(fast.status, 0, fast.stderr);
  assert.match(fast.stdout, /sparseBackwardAdam vs/);
});

test('npm run gradcheck -- --break: the wrong gradient is caught, exit 1', () => {
  const r = run('--break', 'softmax-mean');
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stdout, /softmax cross-entropy dlogits .* WRONG/);
  assert.match(r.stdout, /network db2 .* WRONG/);
  assert.is(run('--break=relu-mask').status, 1);
});

test('npm run gradcheck: a bad flag is one line on stderr and exit 2; --help exits 0', () => {
  for (const args of [['--bogus'], ['--break'], ['--break', 'nope'], ['--kernels', 'gpu'], ['stray']]) {
    const r = run(...args);
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stdout, '');
    assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^gradcheck: /);
  }
  const help = run('--help');
  assert.is(help.status, 0);
  for (const b of BREAKS) assert.ok(help.stdout.includes(b.name), b.name);
});

test.run();
