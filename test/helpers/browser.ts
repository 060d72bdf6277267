/**
 * The founder's console in a real browser for a test: Debian's Chromium (never a downloaded one) driven by
 * playwright-core, on the console the API serves from console/dist, built first when missing or older than
 * its sources.
 */
import fs from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../scripts/build-console.js';
import { TEST_ADMIN_TOKEN } from './api-auth.js';

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
