/** The plan card's buttons in the console: Revise brings a new card; Decline ends the request, nothing changed. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from '../runtime/git/run-git.js';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { oneTaskScenario, planReply } from './helpers/scenarios.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('the plan card in the console', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;
  let projectId: string;

  beforeAll(async () => {
    h = await startRequestHarness([oneTaskScenario('revisable', { assist: [planReply('Write notes/first.md'), planReply('Write notes/second.md')] })]);
    projectId = await h.createProject();
    baseUrl = await serve(h.app);
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('revises the plan, then declines the new one: the conversation ends declined with nothing changed', async () => {
    const remoteBefore = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim();
    const page = await browser.open(baseUrl);
    await page.getByTestId('composer-input').fill('revisable: a notes file');
    await page.getByTestId('composer-send').click();
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    const conversationId = page.url().split('/').at(-1)!;

    const first = page.locator('[data-testid="plan-card"][data-version="1"]');
    await first.locator('[data-testid="plan-revise"]').click({ timeout: 60_000 });
    await first.getByTestId('revise-text').fill('Call it second instead');
    await first.getByTestId('revise-send').click();

    // A second card replaces the first, after the founder's words.
    const second = page.locator('[data-testid="plan-card"][data-version="2"]');
    await page.locator('[data-testid="plan-card"][data-version="2"][data-on-table="true"]').waitFor({ timeout: 60_000 });
    await expect(second.innerText()).resolves.toContain('Write notes/second.md');
    await expect(first.getByTestId('plan-verdict').innerText()).resolves.toBe('Replaced by a revised plan');
    await expect(first.getByTestId('plan-confirm').count()).resolves.toBe(0);
    await page.locator('[data-testid="message"][data-role="founder"]', { hasText: 'Call it second instead' }).waitFor();

    await second.getByTestId('plan-decline').click();
    await page.locator('[data-testid="request-status"][data-outcome="declined"]').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('request-status').innerText()).resolves.toMatch(/Declined: nothing was changed/);
    await expect(second.getByTestId('plan-verdict').innerText()).resolves.toBe('Declined');
    await expect(page.getByTestId('stop').count()).resolves.toBe(0);
    await expect(page.getByTestId('composer').getAttribute('data-mode')).resolves.toBe('request');

    const view = await h.conversation(conversationId);
    expect(view).toMatchObject({ status: 'completed', outcome: 'declined', tasks: [] });
    expect((await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim()).toBe(remoteBefore);
    expect(browser.pageErrors).toEqual([]);
  });
});
