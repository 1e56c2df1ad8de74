// gpu.js in Node (--backend gpujs): which mode runs (--gpu-mode), each checked before training (a
// missing one is a one-line error that says why and lists the modes that do work here), and the
// engine made in it. Loaded only for --backend gpujs.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { UserError, EXIT } from '../train/errors.ts';
import { GpuJsEngine, type GpuJs } from '../train/engines/gpujs/engine.ts';
import type { EngineOptions } from '../train/engines/engine.ts';
import type { GpuMode } from './cli/flags.ts';
import { PROJECT_ROOT } from './paths.ts';

export type RunMode = Exclude<GpuMode, 'auto'>;
export type { GpuJs };

// auto tries these in order and takes the first that works on real hardware.
export const AUTO_ORDER: readonly RunMode[] = ['webgpu', 'headlessgl', 'webasm', 'cpu'];

export interface ModeCheck {
  ok: boolean;
  why: string; // why not, when !ok
  device?: string; // the WebGPU adapter that answered
  software?: boolean; // a CPU emulating a GPU (llvmpipe, SwiftShader, lavapipe): slower here than webasm
}

// Settings for webgpu, found by its probe and reused when the engine sets WebGPU up.
export interface WebGpuSetup {
  dawnOptions: string[]; // options for the webgpu package's create(), from MNIST_WEBGPU_OPTIONS
  adapterOptions: Record<string, string>; // what requestAdapter needed ({} or a compatibility adapter)
}

const SOFTWARE_GPU = /llvmpipe|softpipe|swiftshader|lavapipe|software/i;

export async function loadGpuJs(): Promise<GpuJs> {
  try {
    const lib = await import('gpu.js');
    return ((lib as unknown as { default?: GpuJs }).default ?? lib) as GpuJs;
  } catch (e) {
    throw new UserError(`--backend gpujs: the gpu.js package cannot be loaded (${firstLine(e)}); run npm install`, EXIT.backend);
  }
}

export function dawnOptions(): string[] {
  return (process.env.MNIST_WEBGPU_OPTIONS ?? '').split(/\s+/).filter((s) => s !== '');
}

// WebGPU through the webgpu package (Dawn). It is probed in a child process: Dawn prints its own
// warnings straight to stderr (for instance when Vulkan is missing), and a machine without a GPU
// should not see them on every auto run. The first such line becomes the reason.
export function checkWebGpu(): ModeCheck & { setup?: WebGpuSetup } {
  const options = dawnOptions();
  const probe = `
    let mod;
    try { mod = await import('webgpu'); } catch (e) { console.log(JSON.stringify({ ok: false, why: 'the webgpu package cannot be loaded: ' + String(e.message).split('\\n')[0] })); process.exit(0); }
    const gpu = mod.create(JSON.parse(process.argv[1]));
    for (const adapterOptions of [{}, { featureLevel: 'compatibility' }]) {
      const adapter = await gpu.requestAdapter(adapterOptions);
      if (adapter) {
        const i = adapter.info ?? {};
        const device = [i.vendor, i.device, i.description].filter(Boolean).join(' ').trim() || 'unnamed adapter';
        console.log(JSON.stringify({ ok: true, device, fallback: !!(adapter.isFallbackAdapter ?? i.isFallbackAdapter), adapterOptions }));
        process.exit(0);
      }
    }
    console.log(JSON.stringify({ ok: false, why: 'no WebGPU adapter found' }));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe, JSON.stringify(options)], {
    cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000,
  });
  let answer: { ok: boolean; why?: string; device?: string; fallback?: boolean; adapterOptions?: Record<string, string> };
  try {
    answer = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    return { ok: false, why: `the WebGPU probe failed (${r.error?.message ?? (firstLine(r.stderr) || `exit ${r.status}`)})` };
  }
  if (!answer.ok) {
    const dawnSays = /Warning: (.*)/.exec(r.stderr)?.[1];
    return { ok: false, why: dawnSays ? `${answer.why} (${dawnSays.trim()})` : answer.why ?? 'unknown' };
  }
  const device = answer.device ?? 'unnamed adapter';
  return {
    ok: true, why: '', device, software: answer.fallback || SOFTWARE_GPU.test(device),
    setup: { dawnOptions: options, adapterOptions: answer.adapterOptions ?? {} },
  };
}

// headless-gl: the native `gl` package (replaced by a stub unless installed on purpose) and a GL context.
export function checkHeadlessGl(lib: GpuJs): ModeCheck {
  let getContext: (w: number, h: number) => object | null;
  try {
    // Resolved from gpu.js's folder, as gpu.js itself requires it (npm may nest gl there).
    const fromGpuJs = createRequire(createRequire(import.meta.url).resolve('gpu.js'));
    getContext = fromGpuJs('gl');
  } catch (e) {
    return { ok: false, why: `the gl package is not usable (${firstLine(e)})` };
  }
  if (!lib.GPU.isHeadlessGLSupported || getContext(1, 1) === null) {
    return { ok: false, why: 'headless-gl could not create a GL context (no display? try DISPLAY=:0 or xvfb-run)' };
  }
  // headless-gl names neither vendor nor renderer (it says "stack-gl", "ANGLE"), so a software GL
  // (xvfb's llvmpipe) cannot be told from a GPU here: whoever installed gl on purpose gets it.
  return { ok: true, why: '' };
}

export function checkMode(mode: RunMode, lib: GpuJs): ModeCheck & { setup?: WebGpuSetup } {
  switch (mode) {
    case 'webgpu': return checkWebGpu();
    case 'headlessgl': return checkHeadlessGl(lib);
    case 'webasm': return lib.GPU.isWebAssemblySupported ? { ok: true, why: '' } : { ok: false, why: 'WebAssembly is not supported by this Node' };
    case 'cpu': return { ok: true, why: '' };
  }
}

export interface PickedMode {
  mode: RunMode;
  device?: string;
  setup?: WebGpuSetup;
  fallback?: string; // auto found no GPU: why each GPU mode was passed over
}

// The mode asked for, or for auto the first in AUTO_ORDER that works on a real GPU (a software GPU
// is skipped: webasm beats it), falling back to webasm and cpu, which always work.
export function pickMode(asked: GpuMode, lib: GpuJs): PickedMode {
  if (asked !== 'auto') {
    const check = checkMode(asked, lib);
    if (check.ok) return { mode: asked, device: check.device, setup: check.setup };
    throw unavailable(asked, check.why, lib);
  }
  const passed: string[] = [];
  for (const mode of AUTO_ORDER) {
    const check = checkMode(mode, lib);
    const gpu = mode === 'webgpu' || mode === 'headlessgl';
    if (check.ok && !check.software) return { mode, device: check.device, setup: check.setup, ...(gpu ? {} : { fallback: passed.join('; ') }) };
    if (gpu) passed.push(`${mode}: ${check.ok ? `a software GPU (${check.device ?? 'no name'})` : check.why}`);
  }
  return { mode: 'cpu', fallback: passed.join('; ') };
}

function unavailable(mode: RunMode, why: string, lib: GpuJs): UserError {
  const available = AUTO_ORDER.filter((m) => m !== mode && checkMode(m, lib).ok);
  return new UserError(
    `--gpu-mode ${mode} is not available here: ${why}; available modes: ${available.join(', ')} (see docs/gpu.md)`,
    EXIT.backend,
  );
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e ?? '');
  return text.split('\n')[0].trim();
}

// The engine in the mode --gpu-mode asks for (auto: the best that works here).
export async function createGpuJsEngine(options: EngineOptions & { gpuMode: GpuMode }): Promise<GpuJsEngine> {
  const lib = await loadGpuJs();
  const picked = pickMode(options.gpuMode, lib);
  if (picked.fallback !== undefined) process.stderr.write(`gpujs: no GPU found (${picked.fallback}), so gpu.js runs in its ${picked.mode} mode on the CPU\n`);
  if (picked.mode === 'webgpu') await exposeWebGpu(picked.setup!);
  const gpu = new lib.GPU({ mode: picked.mode });
  return new GpuJsEngine({
    lib, gpu, mode: picked.mode, device: picked.device,
    warn: (line) => process.stderr.write(`gpujs: ${line}\n`),
    afterDestroy: picked.mode === 'webgpu' ? () => hideWebGpu(lib) : undefined,
  }, options);
}

// gpu.js looks for WebGPU at navigator.gpu, which Node does not have: put Dawn's there.
async function exposeWebGpu(setup: WebGpuSetup): Promise<void> {
  const { create, globals } = await import('webgpu' as string) as { create: (o: string[]) => DawnGpu; globals: object };
  Object.assign(globalThis, globals);
  const dawn = create(setup.dawnOptions);
  const gpu = {
    requestAdapter: (o?: object) => dawn.requestAdapter({ powerPreference: 'high-performance', ...setup.adapterOptions, ...o }),
    getPreferredCanvasFormat: () => dawn.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() { return dawn.wgslLanguageFeatures; },
  };
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (g.navigator === undefined) g.navigator = {};
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}

// Dawn keeps Node alive while navigator.gpu holds it, so the device is destroyed and the reference dropped.
async function hideWebGpu(lib: GpuJs): Promise<void> {
  const context = (lib as unknown as { WebGPUContext?: { destroy(): Promise<void> } }).WebGPUContext;
  await context?.destroy();
  const g = globalThis as unknown as { navigator?: Record<string, unknown> };
  if (g.navigator) delete g.navigator.gpu;
}

interface DawnGpu {
  requestAdapter(o?: object): Promise<unknown>;
  getPreferredCanvasFormat(): string;
  wgslLanguageFeatures: unknown;
}
