// Ctrl-C: the first press stops training at a step boundary and the run keeps what it has (exit 130);
// echoes of the same press are ignored; a later press exits at once.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Interrupt, EXIT_INTERRUPTED, EXIT_TERMINATED, exitCodeFor, type StopSignal } from '../src/node/cli/interrupt.ts';
import { epochLine } from '../src/train/keras_log.ts';
import { summaryText } from '../src/train/results/report.ts';
import { makeRecord } from '../src/train/results/record.ts';
import { machineInfo } from '../src/node/machine.ts';
import { DEFAULTS } from '../src/node/cli/flags.ts';
import { runBench } from '../src/node/cli/bench.ts';
import { loadModel } from '../src/node/model_file.ts';
import { MNIST_MODEL } from '../src/nn/model.ts';
import { mnistDir } from './idx.ts';
import { tempDir } from './helpers.ts';

// Three turns of the event loop, 15 ms apart: the 10 ms heartbeat beats in each (one long wait could
// give it a single beat on a busy machine: timers that fell due together run once).
async function loopTurns(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 15));
}

function fakeClock() {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
}

test('interrupt: first press stops, echoes within the window are ignored, a later press exits', () => {
  const clock = fakeClock();
  let stops = 0, exits = 0;
  const interrupt = new Interrupt(() => { exits++; }, 250, clock.now);
  interrupt.onFirst = () => { stops++; };
  interrupt.handle();
  assert.is(stops, 1);
  assert.ok(interrupt.pressed);
  clock.t += 40; // the tsx CLI re-sends after 30 ms; npm forwards at once
  interrupt.handle();
  interrupt.handle();
  assert.is(exits, 0);
  clock.t += 300;
  interrupt.handle();
  assert.is(stops, 1);
  assert.is(exits, 1);
});

test('interrupt: echoesOver waits out the rest of the echo window after the first press, no more', async () => {
  const clock = fakeClock();
  const interrupt = new Interrupt(() => {}, 60, clock.now);
  // "At once" is a promise already settled: it wins a race against the next timer, however busy the machine.
  const atOnce = async (p: Promise<void>) => (await Promise.race([p.then(() => 'now'), new Promise((r) => setTimeout(() => r('later'), 0))])) === 'now';
  assert.ok(await atOnce(interrupt.echoesOver()), 'no press: at once');
  interrupt.onFirst = () => {};
  interrupt.handle();
  clock.t += 20; // 40 ms of the window left
  const t = performance.now();
  await interrupt.echoesOver();
  assert.ok(performance.now() - t >= 35, 'waited for the rest of the window');
  clock.t += 100; // the window is over
  assert.ok(await atOnce(interrupt.echoesOver()), 'window over: at once');
});

test('interrupt: outside training (no onFirst) a press exits at once; after a stop, echoes still do not', () => {
  const clock = fakeClock();
  let exits = 0;
  const idle = new Interrupt(() => { exits++; }, 250, clock.now);
  idle.handle();
  assert.is(exits, 1);
  let stops = 0;
  const busy = new Interrupt(() => { exits++; }, 250, clock.now);
  busy.onFirst = () => { stops++; };
  busy.handle();
  busy.onFirst = null; // training over, the run is keeping its results
  clock.t += 10;
  busy.handle();
  assert.is(exits, 1);
  clock.t += 1000;
  busy.handle();
  assert.is(exits, 2);
  assert.is(stops, 1);
});

// An echo handled late because the event loop was busy (a save's fsyncs) arrived while it was busy:
// still an echo. Only a signal after the loop's turns have seen the window end is a second press.
test('interrupt: an echo that waited through a busy stretch is still an echo; a press after it is not', async () => {
  const clock = fakeClock();
  const exits: StopSignal[] = [];
  const interrupt = new Interrupt((signal) => { exits.push(signal); }, 250, clock.now);
  interrupt.onFirst = () => {};
  interrupt.install();
  try {
    interrupt.handle('SIGINT'); // the first press, at 1000
    clock.t += 400; // a busy stretch: no turn of the event loop, so no heartbeat, while 400 ms pass
    interrupt.handle('SIGINT'); // the echo, handled only now
    assert.equal(exits, [], 'the echo arrived during the stretch, within the window');
    await loopTurns(); // turns of the loop at 1400
    interrupt.handle('SIGINT');
    assert.equal(exits, ['SIGINT'], 'a press after the loop saw the window end');
  } finally {
    interrupt.uninstall();
  }
});

test('interrupt: a first SIGTERM stops like Ctrl-C and the run exits 143; a later signal exits at once with its own code', () => {
  const clock = fakeClock();
  const exits: StopSignal[] = [];
  let stops = 0;
  const interrupt = new Interrupt((signal) => { exits.push(signal); }, 250, clock.now);
  interrupt.onFirst = () => { stops++; };
  interrupt.handle('SIGTERM');
  assert.is(stops, 1);
  assert.is(interrupt.exitCode, EXIT_TERMINATED);
  clock.t += 10;
  interrupt.handle('SIGINT'); // within the echo window: ignored
  assert.equal(exits, []);
  clock.t += 500;
  interrupt.handle('SIGINT');
  assert.equal(exits, ['SIGINT']);
  assert.is(interrupt.exitCode, EXIT_TERMINATED, 'the run still reports the signal that stopped it');
  assert.equal([exitCodeFor('SIGINT'), exitCodeFor('SIGTERM')], [130, 143]);
  const ctrlC = new Interrupt(() => {}, 250, clock.now);
  ctrlC.onFirst = () => {};
  ctrlC.handle('SIGINT');
  assert.is(ctrlC.exitCode, EXIT_INTERRUPTED);
});

// Real signals to this process, with the clock under the test's control.
for (const name of ['SIGINT', 'SIGTERM'] as const) test(`interrupt: real ${name} signals reach the handler, and uninstall removes it`, async () => {
  const clock = fakeClock();
  let stops = 0, exits = 0, seen = 0;
  const interrupt = new Interrupt(() => { exits++; }, 250, clock.now);
  interrupt.onFirst = () => { stops++; };
  const before = process.listenerCount(name);
  interrupt.install();
  const counter = () => { seen++; };
  process.on(name, counter);
  const signal = async () => {
    const target = seen + 1;
    process.kill(process.pid, name);
    for (let i = 0; i < 400 && seen < target; i++) await new Promise((r) => setTimeout(r, 5));
    assert.is(seen, target, 'the signal was not delivered');
  };
  try {
    await signal();
    assert.is(stops, 1);
    clock.t += 20;
    await signal();
    assert.is(exits, 0);
    clock.t += 500;
    await loopTurns(); // the event loop's turns (the heartbeat) see the time pass
    await signal();
    assert.is(exits, 1);
    assert.is(interrupt.exitCode, exitCodeFor(name));
  } finally {
    interrupt.uninstall();
    process.removeListener(name, counter);
  }
  assert.is(process.listenerCount(name), before);
});

test('the partial epoch line has the Keras in-progress bar; the summary says what was interrupted', () => {
  assert.is(epochLine(812, 7.4, 0.30051, 0.91051, 1875), ' 812/1875 [===========>..................] - 7s 9ms/step - loss: 0.3005 - accuracy: 0.9105');
  assert.is(epochLine(0, 0.001, 0, 0, 1875), '   0/1875 [..............................] - 0s');
  const epochs = [1, 2].map((epoch) => ({ epoch, steps: 1875, seconds: 20, msPerStep: 10.7, loss: 0.2, accuracy: 0.9 }));
  const record = makeRecord({ ...DEFAULTS }, machineInfo(), { name: 'cpu', mode: 'float32 js', threads: 1 }, epochs, null);
  record.interrupted = true;
  assert.match(summaryText(record), /^Summary: interrupted after 2 of 5 epochs/);
  record.interrupted = false;
  assert.match(summaryText(record), /^Summary:\n/);
});

// The run's own code path, in-process, with the press simulated at a chosen moment of the output.
async function pressWhen(seen: RegExp, epochs: number) {
  const data = mnistDir(320, 64); // 10 steps an epoch
  const interrupt = new Interrupt(() => assert.unreachable('no exit expected'));
  let log = '', pressed = false;
  const out = { write: (text: string) => {
    log += text;
    if (!pressed && seen.test(text)) { pressed = true; interrupt.handle(); }
  } };
  const listeners = process.listenerCount('SIGINT');
  const { record } = await runBench({ ...DEFAULTS, data, epochs }, out, interrupt);
  assert.ok(pressed);
  assert.is(process.listenerCount('SIGINT'), listeners + 1, 'the handler outlives the run (echoes during shutdown)');
  interrupt.uninstall();
  assert.is(process.listenerCount('SIGINT'), listeners);
  return { log, record };
}

test('run: a press as epoch 2 begins stops before its first step: an empty partial epoch, 1 of 3 counted', async () => {
  const { log, record } = await pressWhen(/^Epoch 2\/3/, 3);
  assert.match(log, /^Epoch 2\/3\n 0\/10 \[\.{30}\] - 0s\nSummary: interrupted after 1 of 3 epochs/m);
  assert.ok(record.interrupted);
  assert.is(record.epochs.length, 1);
  assert.equal({ ...record.partialEpoch, seconds: 0 }, { epoch: 2, steps: 0, of: 10, seconds: 0, loss: 0, accuracy: 0 });
  assert.is(record.test, null);
});

test('run: a press before the first epoch ends: no "share this run" hint, since there is nothing to share', async () => {
  const { log, record } = await pressWhen(/^Epoch 1\/3/, 3);
  assert.is(record.epochs.length, 0);
  assert.not.match(log, /Share this run|npm run compare/);
  const whole = await pressWhen(/^Epoch 2\/3/, 3);
  assert.match(whole.log, /\nShare this run: `npm run bench -- --save`/, 'one complete epoch is worth sharing');
});

test('run: a press during the evaluation is seen when it ends: all epochs and the test kept, still interrupted', async () => {
  const { log, record } = await pressWhen(/^2\/2 - /, 1);
  assert.match(log, /^2\/2 - \d+s - loss: .*\nSummary: interrupted after 1 of 1 epochs/m);
  assert.ok(record.interrupted);
  assert.is(record.epochs.length, 1);
  assert.is(record.partialEpoch, null);
  assert.ok(record.test !== null);
});

// The real command in a child process, Ctrl-C'd (or sent SIGTERM) during its second epoch: one
// signal, then echoes of it every 5 ms for 100 ms (`npm run` forwards a press at once, the tsx CLI
// re-sends it after 30 ms). The run stops and saves in well under 100 ms, so some echoes land while
// it exits: before it waited out the echo window, one of them killed the process by the signal in
// 8 runs of 8. (Echoes end 150 ms before the window does, for a busy machine.)
// Under tsx and as `npm run bench` starts it (scripts/run.mjs, which runs dist/bench.mjs in its process).
const STARTS = { tsx: ['--import', 'tsx', 'bench/run.ts'], dist: ['--enable-source-maps', 'scripts/run.mjs', 'bench'] };
for (const [name, exitCode, start] of [['SIGINT', EXIT_INTERRUPTED, 'tsx'], ['SIGTERM', EXIT_TERMINATED, 'tsx'], ['SIGINT', EXIT_INTERRUPTED, 'dist']] as const) test(`bench (${start}): ${name} early in the run prints the partial epoch, the summary, keeps record and model, exits ${exitCode}`, async () => {
  const data = mnistDir(640, 64); // 20 steps per epoch: about 20 ms with the fast kernels, so many epochs
  // keep the run going long after the press, however fast or busy the machine is
  const out = tempDir('mnist-ts-');
  const json = join(out, 'run.json'), model = join(out, 'model.bin');
  const child = spawn(process.execPath, [...STARTS[start], '--data', data, '--epochs', '2000', '--json', json, '--save-model', model]);
  let stdout = '', stderr = '', sent = false;
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (!sent && stdout.includes('Epoch 2/2000')) {
      sent = true;
      child.kill(name);
      const pressedAt = performance.now();
      const echoes = setInterval(() => {
        if (performance.now() - pressedAt > 100 || child.exitCode !== null || child.signalCode !== null) clearInterval(echoes);
        else child.kill(name);
      }, 5);
    }
  });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  clearTimeout(timer);
  const tail = `; stdout ends: ${JSON.stringify(stdout.slice(-300))}`;
  assert.is(stderr, '', `nothing on stderr, no stack trace${tail}`);
  assert.is(signal, null, `killed by ${signal}${tail}`);
  assert.is(code, exitCode, `exit code${tail}`);
  const record = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(record.interrupted, true);
  assert.is(record.test, null);
  const done = record.epochs.length;
  assert.ok(done >= 1 && done < 2000, `${done} epochs completed`);
  assert.match(stdout, new RegExp(`^Summary: interrupted after ${done} of 2000 epochs`, 'm'));
  assert.not.match(stdout, /^\d+\/\d+ - \d+s - loss/m, 'no evaluation after Ctrl-C');
  if (record.partialEpoch !== null) {
    const p = record.partialEpoch;
    assert.is(p.epoch, done + 1);
    assert.is(p.of, 20);
    assert.ok(p.steps >= 0 && p.steps < 20);
    const bar = p.steps === 0 ? / 0\/20 \[\.{30}\] - 0s$/m : new RegExp(`^${String(p.steps).padStart(2)}/20 \\[=*>?\\.+\\] - \\d+s \\d+[mu]?s/step - loss: \\d\\.\\d{4} - accuracy: \\d\\.\\d{4}$`, 'm');
    assert.match(stdout, bar);
  }
  const midEpoch = record.partialEpoch === null ? '' : ` \\(mid-epoch: stopped in epoch ${record.partialEpoch.epoch} after ${record.partialEpoch.steps} of 20 steps\\)`;
  assert.match(stdout, new RegExp(`^Model saved to ${model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${midEpoch}$`, 'm'), 'a model saved mid-epoch says so');
  assert.is(loadModel(model, MNIST_MODEL).length, 101770);
  assert.equal(readdirSync(out).sort(), ['model.bin', 'run.json'], 'no temporary files left');
  assert.ok(!existsSync(join(out, `.model.bin.${child.pid}.tmp`)));
});

test.run();
