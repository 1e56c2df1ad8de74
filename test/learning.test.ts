// A short real run: 3000 MNIST images, one epoch, then the full test set. Learning must happen.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBench } from '../src/node/cli/bench.ts';
import { DEFAULTS } from '../src/node/cli/flags.ts';

test('one epoch on 3000 images reaches > 0.85 test accuracy, and the log has the Keras shape', async () => {
  let log = '';
  const { record } = await runBench({ ...DEFAULTS, epochs: 1, limit: 3000 }, { isTTY: false, write: (s: string) => (log += s) });
  assert.ok(record.test !== null && record.test.accuracy > 0.85, `test accuracy ${record.test?.accuracy}`);
  assert.ok(record.epochs[0].loss < 1.0, `epoch loss ${record.epochs[0].loss}`);
  assert.match(log, /^94\/94 \[={30}\] - \d+s \d+[mu]?s\/step - loss: 0\.\d{4} - accuracy: 0\.\d{4}$/m);
  assert.match(log, /^313\/313 - \d+s - loss: 0\.\d{4} - accuracy: 0\.\d{4} - \d+[mu]?s\/epoch - \d+[mu]?s\/step$/m);
});

test.run();
