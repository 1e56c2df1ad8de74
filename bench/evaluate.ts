// `npm run evaluate -- --model FILE`: the saved weights on the test set, one Keras evaluation line.

import { parseEvaluateFlags, evaluateHelpText, runEvaluate } from '../src/train/evaluate_cli.ts';
import { runCommand } from '../src/train/errors.ts';

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
