// `npm run bench`: the reference experiment, Keras-format log, summary against the Pi 5 and the Jetson.

import { parseFlags, helpText } from '../src/train/flags.ts';
import { runBench } from '../src/train/run.ts';
import { runCommand } from '../src/train/errors.ts';
import { Interrupt } from '../src/train/interrupt.ts';

async function main(): Promise<number> {
  const options = parseFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(helpText('npm run bench --'));
    return 0;
  }
  const interrupt = new Interrupt();
  try {
    const { record, checksPassed } = await runBench(options, process.stdout, interrupt);
    if (record.interrupted) return interrupt.exitCode;
    return checksPassed ? 0 : 1;
  } finally {
    await interrupt.echoesOver();
  }
}

await runCommand('bench', main);
