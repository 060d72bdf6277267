/** The console's Terminal tab: xterm.js on the project's sandboxed shell, typing a command and reading its output. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('the terminal tab', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;

  beforeAll(async () => {
    h = await startRequestHarness([], {}, { inProcessWorker: false });
    baseUrl = await serve(h.app);
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('echoes what the shell computed', async () => {
    const projectId = await h.createProject();
    const page = await browser.open(baseUrl, `/projects/${projectId}`);
    await page.getByTestId('tab-terminal').click();
    // The first terminal of a project clones its repository first.
    const terminal = page.getByTestId('terminal');
    await page.locator('[data-testid="terminal"]:is([data-state="ready"], [data-state="ended"])').waitFor({ timeout: 60_000 });
    expect(await terminal.getAttribute('data-state'), await terminal.innerText()).toBe('ready');

    await page.locator('.terminal-screen').click();
    await page.keyboard.type('echo hi-$((6*7))');
    await page.keyboard.press('Enter');
    // The screen as xterm renders it: the typed line says hi-$((6*7)); only the shell's answer says hi-42.
    const rows = page.locator('.xterm-rows');
    await expect.poll(() => rows.innerText(), { timeout: 20_000 }).toContain('hi-42');
    expect(browser.pageErrors).toEqual([]);
  }, 120_000);
});
