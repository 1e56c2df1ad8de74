// `npm run web`: the trainer as a web page, served on this machine (or written out with --build DIR).

import { parseWebFlags, webHelpText, runWeb } from '../src/node/cli/web.ts';
import { runCommand } from '../src/node/cli/command.ts';

await runCommand('web', async () => {
  const options = parseWebFlags(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(webHelpText('npm run web --'));
    return 0;
  }
  await runWeb(options, (line) => process.stdout.write(`${line}\n`));
  return 0;
});
