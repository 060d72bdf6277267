/**
 * The founder's console in a real browser for a test: Debian's Chromium (never a downloaded one) driven by
 * playwright-core, on the console the API serves from console/dist, built first when missing or older than
 * its sources.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_ADMIN_TOKEN } from './api-auth.js';
import { eventually } from './poll.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSOLE = path.join(ROOT, 'console');
const INDEX = path.join(CONSOLE, 'dist', 'index.html');
/** Held while one test file builds, so two files starting together do not build over each other. */
const BUILD_LOCK = path.join(CONSOLE, '.build-lock');

export const CHROMIUM_PATH = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await fs.stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

async function consoleIsFresh(): Promise<boolean> {
  const built = await fs.stat(INDEX).then((s) => s.mtimeMs).catch(() => 0);
  if (!built) return false;
  const sources = Math.max(await newestSource(path.join(CONSOLE, 'src')), (await fs.stat(path.join(CONSOLE, 'index.html'))).mtimeMs);
  return built >= sources;
}

/** Builds the console (npm run build's step) unless console/dist is up to date with console/src. */
export async function ensureConsoleBuilt(): Promise<void> {
  if (await consoleIsFresh()) return;
  // A lock left by a run that was killed mid-build is older than any build takes.
  const lockAge = await fs.stat(BUILD_LOCK).then((s) => Date.now() - s.mtimeMs, () => 0);
  if (lockAge > 5 * 60_000) await fs.rm(BUILD_LOCK, { recursive: true, force: true });
  const locked = await fs.mkdir(BUILD_LOCK).then(() => true, () => false);
  if (!locked) {
    await eventually('the console build of another test file', async () => ((await fs.stat(BUILD_LOCK).catch(() => undefined)) ? undefined : true), 120_000);
    return;
  }
  try {
    await execa('npx', ['vite', 'build', '-c', 'console/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT });
  } finally {
    await fs.rm(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** Puts the app on a real port (the browser needs one) and returns its base URL. */
export async function serve(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the app is not listening on a TCP port');
  return `http://127.0.0.1:${address.port}`;
}

export type ConsoleBrowser = {
  browser: Browser;
  /** A fresh tab on `baseUrl + path`, signed in through the `#token=` fragment as the `npm start` link does. */
  open(baseUrl: string, pathname?: string, token?: string): Promise<Page>;
  /** Uncaught errors any page threw; a test expects none. */
  readonly pageErrors: string[];
  close(): Promise<void>;
};

export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  await fs.access(CHROMIUM_PATH).catch(() => {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium); the tests never download one`);
  });
  await ensureConsoleBuilt();
  // chromium.launch gives every run a fresh, temporary profile.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const pageErrors: string[] = [];
  return {
    browser,
    pageErrors,
    async open(baseUrl, pathname = '/', token = TEST_ADMIN_TOKEN) {
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      await page.goto(`${baseUrl}${pathname}#token=${encodeURIComponent(token)}`);
      return page;
    },
    close: () => browser.close(),
  };
}
