// This device as a web page sees it: the browser and OS from the user agent, the cores the browser
// offers, the WebGL renderer where the browser names it. Goes into the run record's machine.

import type { MachineInfo } from '../train/results/record.ts';

// "Chrome 156", "Firefox 133", "Safari 17.4", "Edge 131"; the user agent itself when unknown.
export function browserOf(userAgent: string): string {
  const rules: [RegExp, string][] = [
    [/Edg\/(\d+)/, 'Edge'], [/OPR\/(\d+)/, 'Opera'], [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
    [/HeadlessChrome\/(\d+)/, 'Chrome (headless)'], [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
    [/Firefox\/(\d+)/, 'Firefox'], [/Version\/([\d.]+).*Safari\//, 'Safari'],
  ];
  for (const [re, name] of rules) {
    const m = re.exec(userAgent);
    if (m) return `${name} ${m[1]}`;
  }
  return userAgent.slice(0, 60) || 'unknown browser';
}

// [os, arch] from the user agent: "Linux", "x86_64"; "Android 14", "aarch64"; "macOS", ""; ...
export function platformOf(userAgent: string): [string, string] {
  const android = /Android ([\d.]+)/.exec(userAgent);
  if (android) return [`Android ${android[1]}`, /aarch64|arm64/i.test(userAgent) ? 'aarch64' : ''];
  if (/iPhone|iPad/.test(userAgent)) return ['iOS', 'arm64'];
  if (/Mac OS X/.test(userAgent)) return ['macOS', ''];
  if (/Windows NT/.test(userAgent)) return ['Windows', /Win64|x64/.test(userAgent) ? 'x86_64' : ''];
  if (/CrOS/.test(userAgent)) return ['ChromeOS', ''];
  const linux = /Linux (\w+)/.exec(userAgent);
  if (linux) return ['Linux', linux[1]];
  return ['unknown OS', ''];
}

// The WebGL renderer ("ANGLE (NVIDIA Tegra X1 ...)", "SwiftShader ..."), or null without WebGL. The
// unmasked name needs WEBGL_debug_renderer_info, which some browsers withhold; then the plain one.
export function webglRenderer(): string | null {
  const canvas = typeof document !== 'undefined' ? document.createElement('canvas') : new OffscreenCanvas(1, 1);
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (gl === null) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

export function machineOf(userAgent: string, cores: number, gpu: string | null): MachineInfo {
  const [os, arch] = platformOf(userAgent);
  return {
    cpu: `${os}${arch ? ` ${arch}` : ''} CPU`, cores, os, arch: arch || 'unknown', node: 'none (browser)',
    browser: browserOf(userAgent), ...(gpu === null ? {} : { gpu }),
  };
}
