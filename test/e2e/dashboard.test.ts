/**
 * gt dashboard in a real browser: Debian's Chromium (/usr/bin/chromium; .ci/run installs it) driven by
 * playwright-core. The page must change when a bead is closed from the CLI, pushed by the server
 * (server-sent events on ref moves), with no reload. A screenshot is left in test-results/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { makeTempDir, spawnGt, useGtRepo } from '../helpers/repo.js';
import { waitFor, WAIT_LIMIT_MS } from '../helpers/wait.js';
import { until } from '../helpers/sessions.js';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = resolve(import.meta.dirname, '../../test-results');

let browser: Browser;
const r = useGtRepo();
const servers: ReturnType<typeof spawnGt>[] = [];
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(() => {
  for (const s of servers.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
});

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;

/** Starts gt dashboard on a free port and returns its address once it listens. */
async function startDashboard(args: string[] = [], env: Record<string, string> = {}): Promise<{ url: string; server: ReturnType<typeof spawnGt>; output: () => string }> {
  const server = spawnGt(['dashboard', '--port', '0', '--json', ...args], r.dir, env);
  servers.push(server);
  let out = '';
  server.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  server.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const url = await waitFor('the dashboard to listen', () => {
    if (server.exitCode !== null) throw new Error(`gt dashboard exited (${server.exitCode}): ${out}`);
    return /"url":"([^"]+)"/.exec(out)?.[1];
  });
  return { url, server, output: () => out };
}

describe('gt dashboard', () => {
  it('shows the convoy and updates the page when a bead is closed from the CLI', async () => {
    const [a, b] = [create('Build the API'), create('Write the docs')];
    const convoy = r.gtJson<{ id: string }>('convoy', 'create', 'Release', a!, b!).id;
    r.gtOk('agents', 'add', 'alice', '--role', 'crew');
    r.gtOk('sling', b!, 'alice');
    const { url, server } = await startDashboard();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(url);
      const bead = page.locator(`[data-convoy="${convoy}"] [data-bead="${a}"]`);
      // Polls (generous limit, a safety net only) until the first push rendered the convoy.
      await bead.waitFor({ state: 'attached', timeout: WAIT_LIMIT_MS });
      expect(await bead.getAttribute('data-status')).toBe('open');
      expect(await page.locator(`[data-convoy="${convoy}"] .progress`).textContent()).toBe('0/2');
      await page.locator(`[data-convoy="${convoy}"] summary`).click();
      expect(await page.locator('[data-agent="alice"]').getAttribute('data-activity')).toBe('active');
      await page.waitForSelector('#connection[data-state="live"]', { timeout: WAIT_LIMIT_MS });

      r.gtOk('close', a!);
      await page.waitForSelector(`[data-convoy="${convoy}"] [data-bead="${a}"][data-status="closed"]`, { timeout: WAIT_LIMIT_MS });
      expect(await page.locator(`[data-convoy="${convoy}"] .progress`).textContent()).toBe('1/2');
      // Still expanded after the redraw, and the close is in the feed.
      expect(await page.locator(`[data-convoy="${convoy}"]`).getAttribute('open')).not.toBeNull();
      expect(await page.locator('#feed').textContent()).toContain(`close ${a}`);
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: resolve(RESULTS, 'dashboard.png'), fullPage: true });
    } finally {
      await page.close();
    }

    server.kill('SIGTERM');
    await until('gt dashboard to stop', () => server.exitCode !== null);
    expect(server.exitCode).toBe(0);
  });

  it('serves the model as JSON, is read-only, and refuses a port in use in one line', async () => {
    const { url } = await startDashboard();
    const town = (await (await fetch(`${url}api/town`)).json()) as { needs: unknown[]; convoys: unknown[] };
    expect(town).toMatchObject({ needs: [], convoys: [] });
    expect((await fetch(`${url}api/town`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}nothing-here`)).status).toBe(404);

    // Only to its own names: a page whose name was rebound to 127.0.0.1 gets nothing.
    const status = await new Promise<number>((done, fail) =>
      request(`${url}api/town`, { headers: { host: `evil.example:${new URL(url).port}` } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      })
        .on('error', fail)
        .end(),
    );
    expect(status).toBe(403);
    expect((await fetch(`${url.replace('127.0.0.1', 'localhost')}api/town`)).status).toBe(200);

    const port = new URL(url).port;
    const second = r.gt(['dashboard', '--port', port]);
    expect(second.status).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([`gt: port ${port} on 127.0.0.1 is in use: choose another with --port, or --port 0 for any free one`]);
  });

  it('--open hands its address to xdg-open', async () => {
    // A stand-in xdg-open that notes what it was asked to open.
    const bin = makeTempDir('gt-xdg-');
    const opened = join(bin, 'opened');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const { url } = await startDashboard(['--open'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
    try {
      const got = await waitFor('xdg-open to be called', () => (existsSync(opened) && readFileSync(opened, 'utf8') !== '' ? readFileSync(opened, 'utf8') : undefined));
      expect(got).toBe(url);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
