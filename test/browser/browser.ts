// Helpers for the browser tests: Debian's Chromium driven by playwright-core (which downloads no
// browser), and `npm run web`'s server on a free port (../serve.ts).

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
export { serve, type Server } from '../serve.ts';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = CANDIDATES.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (found === undefined) {
    process.stderr.write('test:browser: no Chromium found; install it (as root: apt-get install -y chromium) or set CHROMIUM_PATH\n');
    process.exit(1);
  }
  return found;
}

export async function launch(): Promise<Browser> {
  const args = ['--enable-unsafe-swiftshader']; // WebGL on SwiftShader where there is no GPU
  if (process.getuid?.() === 0) args.push('--no-sandbox'); // Chromium refuses to sandbox as root
  if (process.env.CHROMIUM_JS_FLAGS) args.push(`--js-flags=${process.env.CHROMIUM_JS_FLAGS}`); // e.g. V8's inlining budget, to compare
  return chromium.launch({ executablePath: chromiumPath(), args });
}

export type State = 'idle' | 'loading' | 'training' | 'done' | 'stopped' | 'error';

export async function waitForState(page: Page, states: State[], timeout = 120_000): Promise<State> {
  await page.waitForFunction((wanted: string[]) => wanted.includes(document.body.dataset.state ?? ''), states as string[], { timeout });
  return (await page.evaluate(() => document.body.dataset.state)) as State;
}

export const logText = (page: Page) => page.evaluate(() => document.getElementById('log')!.textContent ?? '');
export const alertText = (page: Page) => page.evaluate(() => {
  const a = document.querySelector('[role=alert]') as HTMLElement | null;
  return a && !a.hidden ? a.textContent ?? '' : '';
});
