// `npm run bench`: the reference experiment, Keras-format log, summary against the Pi 5 and the Jetson.

import { parseFlags, helpText } from '../src/node/cli/flags.ts';
import { runBench } from '../src/node/cli/bench.ts';
import { runCommand } from '../src/node/cli/command.ts';
import { Interrupt } from '../src/node/cli/interrupt.ts';

const interrupt = new Interrupt();

async function main(): Promise<number> {
  const options = parseFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(helpText('npm run bench --'));
    return 0;
  }
  try {
    const { checksPassed } = await runBench(options, process.stdout, interrupt);
    // A signal during the summary or the saving also ends the run with 130 or 143: the run is whole
    // (its record says so), but whoever sent the signal asked it to stop.
    if (interrupt.pressed) return interrupt.exitCode;
    return checksPassed ? 0 : 1;
  } finally {
    await interrupt.echoesOver();
  }
}

await runCommand('bench', main);
// After a signal, leave by process.exit (stdout flushed first) rather than by the event loop running
// dry: on that way out Node gives the signals their default action back early, and a late one would
// kill the process by the signal instead of leaving it with its exit code.
if (interrupt.pressed) {
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit();
}
