// `npm run gradcheck`: every backward kernel and the whole network's parameter gradients against
// centred differences in float64 (src/nn/gradcheck.ts), one line each with cs231n's verdict.
// --kernels fast adds each fast twin against its naive twin; --break NAME makes one backward kernel
// wrong on purpose, to see what that looks like. Exit 0 when nothing is in the wrong band, 1 when
// something is, 2 for a bad flag.

import {
  STEP, KERNEL_SHAPE, NETWORK, NETWORK_BATCH, BREAKS, BACKWARD, brokenKernels, checkKernels, checkNetwork,
  type Band, type Check,
} from '../src/nn/gradcheck.ts';
import { checkTwins } from '../src/nn/twincheck.ts';
import { type FlagSpecOf, parseTable, helpTable, choice } from '../src/node/cli/flags.ts';
import { runCommand } from '../src/node/cli/command.ts';

interface Options { kernels: 'naive' | 'fast'; break: string | null; help: boolean }

// The same flag table machinery as the bench: the parser and --help come from one table.
const FLAGS: Record<string, FlagSpecOf<Options>> = {
  '--kernels': { key: 'kernels', value: 'SET', help: 'naive (default): the gradient checks; fast: also each fast twin against its naive twin', parse: choice(['naive', 'fast']) },
  '--break': {
    key: 'break', value: 'NAME', parse: choice(BREAKS.map((b) => b.name)),
    help: `make one backward kernel wrong on purpose (exit code 1), one of:\n${BREAKS.map((b) => `${''.padEnd(17)}${b.name.padEnd(14)}${b.what}`).join('\n')}`,
  },
  '--help': { key: 'help', value: null, help: 'print this help and exit', parse: () => true },
};

const HELP_INTRO = `Checks every backward kernel (ReLU, bias, matmul's two products, dropout, softmax cross-entropy) and
the network's gradients w.r.t. W1, b1, W2 and b2 against centred differences in float64.
`;

const e = (x: number): string => (x === 0 ? '0' : x.toExponential(1)).padStart(7);
const mark = (b: Band): string => (b === 'wrong' ? 'WRONG' : b);

const num = (x: number): string => (x === 0 ? '0' : x.toPrecision(6));

// Past the good band, the worst element's two values: a factor (B, 1/(1-rate)) or a sign shows the bug.
function line(c: Check): string {
  const worst = c.band === 'good' ? ''
    : `  worst at [${c.worst.index}]: analytic ${num(c.worst.analytic)}, numeric ${num(c.worst.numeric)}`;
  return `  ${c.name.padEnd(46)} ${c.shape.padEnd(8)} ${e(c.worst.error)}  ${mark(c.band).padEnd(5)}${worst}`.trimEnd();
}

function main(argv: readonly string[]): number {
  const options = parseTable(FLAGS, { kernels: 'naive', break: null, help: false }, argv);
  if (options.help) {
    process.stdout.write(helpTable(FLAGS, 'npm run gradcheck --').replace('\nFlags:', `\n${HELP_INTRO}\nFlags:`));
    return 0;
  }
  const started = performance.now();
  const k = options.break === null ? BACKWARD : brokenKernels(options.break) ?? BACKWARD;
  const out: string[] = [];
  out.push(`gradient check: analytic gradients against centred differences (L(x+h) - L(x-h)) / 2h, float64, h = ${STEP.toExponential(0)}`);
  out.push('relative error |a - n| / max(|a|, |n|), worst element; cs231n\'s bands: < 1e-7 good, < 1e-4 ok (fine with kinks such as ReLU), < 1e-2 suspicious, above: WRONG');
  if (options.break !== null) {
    const b = BREAKS.find((x) => x.name === options.break);
    out.push(`--break ${options.break}: ${b?.what} (wrong on purpose; the kernel files are untouched)`);
  }
  const { B, IN, OUT, C } = KERNEL_SHAPE;
  out.push('', `backward kernels, L = Σ out·dout with a random dout (B=${B}, IN=${IN}, OUT=${OUT}, C=${C})`);
  const checks = checkKernels(k);
  for (const c of checks) out.push(line(c));

  const net = checkNetwork(k);
  const kink = net.kinkMargin > STEP ? 'above h: no step crosses the kink' : 'NOT above h: a step may cross the kink';
  out.push('', `network ${NETWORK.inputs}-${NETWORK.hidden}-${NETWORK.classes}, batch ${NETWORK_BATCH}, dropout ${NETWORK.dropoutRate} with its mask fixed, L = mean loss; smallest |ReLU input| ${net.kinkMargin.toExponential(1)}, ${kink}`);
  for (const c of net.checks) out.push(line(c));
  checks.push(...net.checks);

  let twinsWrong = 0, twins = 0;
  if (options.kernels === 'fast') {
    out.push('', 'fast twins against naive twins, in float64: any difference is the order of the sums (or a deliberate float32 rounding)');
    out.push(`  ${''.padEnd(72)} ${'max abs'.padStart(7)}  ${'max rel'.padStart(7)}`);
    for (const t of checkTwins()) {
      out.push(`  ${t.name.padEnd(72)} ${e(t.maxAbs)}  ${e(t.maxRel)}  ${mark(t.band)}`);
      twins++;
      if (t.band === 'wrong') twinsWrong++;
    }
  }

  const count = (b: Band): number => checks.filter((c) => c.band === b).length;
  const wrong = count('wrong') + twinsWrong;
  const total = checks.length + twins;
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  out.push('', `${total} checks: ${total - wrong - count('ok') - count('suspicious')} good, ${count('ok')} ok, ${count('suspicious')} suspicious, ${wrong} wrong (${seconds} s)`);
  process.stdout.write(out.join('\n') + '\n');
  return wrong > 0 ? 1 : 0;
}

await runCommand('gradcheck', () => main(process.argv.slice(2)));
