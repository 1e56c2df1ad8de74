// The engine for the bench's flags: --backend, --threads, --kernels, --gpu-mode, --hidden, --dropout.

import { usageError, type Options } from './flags.ts';
import type { Engine } from '../../train/engines/engine.ts';
import { CpuEngine } from '../../train/engines/cpu.ts';
import { ThreadedEngine } from '../../train/engines/threaded/engine.ts';
import { nodeThreads } from '../threads.ts';
import { usableCpus } from '../cpus.ts';
import { MNIST_MODEL, type ModelShape } from '../../nn/model.ts';

export function modelShape(options: Options): ModelShape {
  return { ...MNIST_MODEL, hidden: options.hidden, dropoutRate: options.dropout };
}

// On the CPU: the single-threaded teaching engine for --kernels naive --threads 1, else the
// threaded engine with the chosen twins.
// note: where a one-line note goes (stderr; a test collects them).
export async function makeEngine(flags: Options, note: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Engine> {
  const options = { ...flags, shape: modelShape(flags) };
  if (options.backend === 'gpujs') {
    if (options.threads !== null || options.kernels !== 'fast') throw usageError('--threads and --kernels apply to --backend cpu only');
    // Imported only here, so --backend cpu never loads gpu.js.
    const { createGpuJsEngine } = await import('../gpujs_modes.ts');
    return createGpuJsEngine(options);
  }
  if (options.gpuMode !== 'auto') throw usageError('--gpu-mode applies to --backend gpujs only');
  const threads = options.threads ?? usableCpus();
  if (options.kernels === 'naive' && threads === 1) return new CpuEngine(options);
  const engine = await ThreadedEngine.create({ ...options, threads }, nodeThreads);
  if (options.threads !== null) threadsNote(options.threads, engine.threads, usableCpus(), note);
  return engine;
}

// --threads above what can run well is never silently changed or silently slow: one line says which.
function threadsNote(asked: number, running: number, cores: number, note: (line: string) => void): void {
  if (running < asked) {
    note(`bench: --threads ${asked} capped at ${running}: the hidden layer's units are split in blocks of at least 8`);
  } else if (asked > cores) {
    note(`bench: --threads ${asked} used as given, above the ${cores} usable core${cores === 1 ? '' : 's'}: threads will share cores (slower)`);
  }
}
