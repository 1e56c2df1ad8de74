// `npm run bench`: the reference experiment, Keras-format log, summary against the Pi 5 and the Jetson.

import { parseFlags, helpText } from '../src/train/flags.ts';
import { runBench } from '../src/train/run.ts';
import { UserError } from '../src/train/errors.ts';
import { Interrupt, EXIT_INTERRUPTED } from '../src/train/interrupt.ts';

async function main(): Promise<number> {
  const options = parseFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(helpText('npm run bench --'));
    return 0;
  }
  const { record, checksPassed } = await runBench(options, process.stdout, new Interrupt());
  if (record.interrupted) return EXIT_INTERRUPTED;
  return checksPassed ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  // Errors meant for the user are one line; anything else is a bug, still one line unless DEBUG is set.
  const message = e instanceof UserError ? e.message : `internal error: ${(e as Error).message ?? e}`;
  process.stderr.write(`bench: ${message}\n`);
  if (!(e instanceof UserError) && process.env.DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exitCode = e instanceof UserError ? e.exitCode : 70;
}
