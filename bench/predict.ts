// `npm run predict -- --model FILE IMAGE.png...`: the digit on each image and its ten probabilities.

import { parsePredictFlags, predictHelpText, runPredict } from '../src/node/cli/predict.ts';
import { runCommand } from '../src/node/cli/command.ts';

// Piped into head, say: a closed stdout ends the command quietly.

function main(): number {
  const options = parsePredictFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(predictHelpText('npm run predict --'));
    return 0;
  }
  runPredict(options, process.stdout);
  return 0;
}

await runCommand('predict', main);
