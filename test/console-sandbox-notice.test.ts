/** A server that cannot run code says so on every page of the console, in plain words, with the fix folded away. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MISSING_FOR_FOUNDER } from '../core/sandbox-missing.js';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('the console on a server without its sandbox', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    h = await startRequestHarness([], {}, { inProcessWorker: false, bwrapPath: '/nonexistent/bwrap' });
    baseUrl = await serve(h.app);
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('shows the founder one sentence, and whoever runs VIBN the package to install', async () => {
    const projectId = await h.createProject();
    const page = await browser.open(baseUrl, `/projects/${projectId}`);
    const notice = page.getByTestId('sandbox-notice');
    await notice.waitFor();
    expect(await notice.locator('p').first().innerText()).toBe(SANDBOX_MISSING_FOR_FOUNDER);
    await notice.locator('summary').click();
    expect(await notice.innerText()).toContain('apt-get install -y bubblewrap');
    expect(browser.pageErrors).toEqual([]);
  });
});
