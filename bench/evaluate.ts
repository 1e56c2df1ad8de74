// `npm run evaluate -- --model FILE`: the saved weights on the test set, one Keras evaluation line.

import { parseEvaluateFlags, evaluateHelpText, runEvaluate } from '../src/train/evaluate_cli.ts';
import { UserError } from '../src/train/errors.ts';

async function main(): Promise<number> {
  const options = parseEvaluateFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(evaluateHelpText('npm run evaluate --'));
    return 0;
  }
  await runEvaluate(options, process.stdout);
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  // As in bench/run.ts: one line, and a stack only for bugs with DEBUG set.
  const message = e instanceof UserError ? e.message : `internal error: ${(e as Error).message ?? e}`;
  process.stderr.write(`evaluate: ${message}\n`);
  if (!(e instanceof UserError) && process.env.DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = e instanceof UserError ? e.exitCode : 70;
}
