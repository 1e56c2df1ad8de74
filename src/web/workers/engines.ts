// The engine a page's settings ask for: the threaded engine over Web Workers (one thread, saying
// why, where the page may not share memory), the teaching engine, or gpu.js in a browser mode
// (a clear message where the browser has no WebGL for it).

import type { Engine } from '../../train/engines/engine.ts';
import { CpuEngine } from '../../train/engines/cpu.ts';
import { ThreadedEngine } from '../../train/engines/threaded/engine.ts';
import type { ThreadHost } from '../../train/engines/threaded/host.ts';
import { GpuJsEngine, type GpuJs } from '../../train/engines/gpujs/engine.ts';
import { MNIST_MODEL } from '../../nn/model.ts';
import { UserError, EXIT } from '../../train/errors.ts';
import type { WebSettings } from '../settings.ts';

export interface PageContext {
  cores: number;
  renderer?: string; // the WebGL renderer the page saw
  isolated: boolean; // crossOriginIsolated: SharedArrayBuffer for the threads
  gpujs: GpuJs; // the library (its browser build)
  threads: ThreadHost;
  warn(text: string): void; // kept on screen: why the run is not quite what was asked
}

export async function pageEngine(s: WebSettings, ctx: PageContext): Promise<Engine> {
  const options = { batchSize: s.batchSize, learningRate: s.learningRate, seed: s.seed, shape: { ...MNIST_MODEL, hidden: s.hidden, dropoutRate: s.dropout } };
  if (s.backend !== 'cpu') {
    const lib = ctx.gpujs;
    const mode = s.backend === 'gpujs-cpu' ? 'cpu' : s.backend;
    const supported = mode === 'cpu' || (mode === 'webgl2' ? lib.GPU.isWebGL2Supported : lib.GPU.isWebGLSupported);
    if (!supported) {
      throw new UserError(`${mode === 'webgl2' ? 'WebGL2' : 'WebGL'} is not available in this browser's workers (no GPU, or WebGL turned off): choose the CPU backend`, EXIT.backend);
    }
    const gpu = new lib.GPU({ mode });
    return new GpuJsEngine({ lib, gpu, mode, device: mode === 'cpu' ? undefined : ctx.renderer, warn: (text) => ctx.warn(`gpu.js: ${text}`) }, options);
  }
  let threads = s.threads;
  if (threads > 1 && !ctx.isolated) {
    threads = 1;
    ctx.warn('one thread: this page is not cross-origin isolated (its server sends no Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy headers), so the browser gives it no SharedArrayBuffer for threads to share');
  }
  if (s.kernels === 'naive' && threads === 1) return new CpuEngine(options);
  return ThreadedEngine.create({ ...options, threads, kernels: s.kernels }, ctx.threads);
}
