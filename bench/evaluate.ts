// `npm run evaluate -- --model FILE`: the saved weights on the test set, one Keras evaluation line.

import { parseEvaluateFlags, evaluateHelpText, runEvaluate } from '../src/node/cli/evaluate.ts';
import { runCommand } from '../src/node/cli/command.ts';

async function main(): Promise<number> {
  const options = parseEvaluateFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(evaluateHelpText('npm run evaluate --'));
    return 0;
  }
  await runEvaluate(options, process.stdout);
  return 0;
}

await runCommand('evaluate', main);
