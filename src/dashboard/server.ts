/**
 * `gt dashboard`: the town model (town.ts) served to a browser. One page of plain HTML, CSS and JS
 * shipped in web/ (no build step), the model at /api/town, and server-sent events at /api/events:
 * the model is pushed to every page whenever a branch moves, driven by the same ref watching as
 * `gt watch` (no polling). Read-only: only GET and HEAD are answered.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ledger } from '../ledger/ledger.js';
import { RuleError } from '../errors.js';
import { readTown, type Town } from '../town/town.js';
import { watchRefs } from '../observer/watch.js';

export interface DashboardOptions {
  cwd: string;
  port: number;
  bind: string;
  /** Stops the server (SIGINT/SIGTERM in the CLI). */
  signal: AbortSignal;
  onError: (error: Error) => void;
}

export interface Dashboard {
  url: string;
  /** Resolves once the server stopped after `signal`. */
  done: Promise<void>;
}

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** The page's files: web/ at the top of the package (from dist/gt.mjs, dist/dashboard/*.js or src/dashboard/*.ts). */
export function webDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new RuleError('the dashboard page (web/index.html) is missing from this gt installation', 'reinstall gt');
}

function hostForUrl(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return bind === '::' ? '[::1]' : '127.0.0.1';
  return bind.includes(':') ? `[${bind}]` : bind;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostnameOf(host: string | undefined): string {
  if (host === undefined) return '';
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  return (bracket >= 0 ? host.slice(0, bracket + 1) : host.split(':')[0]!).toLowerCase();
}

export async function startDashboard(ledger: Ledger, options: DashboardOptions): Promise<Dashboard> {
  const loopback = options.bind === '127.0.0.1' || options.bind === '::1' || options.bind === 'localhost';
  const web = webDir();
  const pages = new Map(Object.entries(FILES).map(([path, f]) => [path, { body: readFileSync(join(web, f.file)), type: f.type }]));
  let town: Town | undefined;
  let current = '';
  const clients = new Set<ServerResponse>();

  const refresh = async (): Promise<void> => {
    town = (await readTown(ledger, { commits: 30 })).town;
    const json = JSON.stringify(town);
    if (json === current) return;
    current = json;
    for (const client of clients) client.write(`event: town\ndata: ${json}\n\n`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (loopback && !LOCAL_HOSTS.has(hostnameOf(req.headers.host))) {
      // A page elsewhere that rebinds its own name to 127.0.0.1 must not read the town through the browser.
      res.writeHead(403, { 'content-type': 'text/plain' }).end('the dashboard answers only to localhost, 127.0.0.1 and [::1]\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('the dashboard is read-only\n');
      return;
    }
    const page = pages.get(path);
    if (page) {
      res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : page.body);
      return;
    }
    if (path === '/api/town') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(current);
      return;
    }
    if (path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 2000\nevent: town\ndata: ${current}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };

  // The first model is ready before anyone can ask for it.
  await refresh();
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new RuleError(`port ${options.port} on ${options.bind} is in use: choose another with --port, or --port 0 for any free one`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') reject(new RuleError(`cannot listen on ${options.bind}: no such address on this machine (try --bind 127.0.0.1)`));
      else reject(error);
    });
    server.listen(options.port, options.bind, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${hostForUrl(options.bind)}:${port}/`;

  const done = (async () => {
    try {
      await watchRefs(options.cwd, { signal: options.signal, onError: options.onError, pass: refresh });
    } finally {
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  })();
  return { url, done };
}

/** Opens `url` with xdg-open when there is one; false when there is none. */
export function openInBrowser(url: string): boolean {
  const opener = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'xdg-open'))
    .find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!opener) return false;
  spawn(opener, [url], { detached: true, stdio: 'ignore' }).unref();
  return true;
}
