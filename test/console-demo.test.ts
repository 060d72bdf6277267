/**
 * The demo through the founder's console in a real browser: type the request, read the plan card, confirm,
 * watch the Code tab's tasks run, and see the work live with its commit.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarios } from '../llm/scenario.js';
import { runGit } from '../runtime/git/run-git.js';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { startRequestHarness } from './helpers/request-harness.js';

/** What the founder must never read: tiers, model names, agent names. */
const HIDDEN = /\btier\b|\bTier [ABC]\b|claude|gemini|sonnet|opus|haiku|orchestrator|advisor/i;

describe('the web console runs the demo request', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;
  let projectId: string;

  beforeAll(async () => {
    h = await startRequestHarness(await loadScenarios());
    projectId = await h.createProject();
    baseUrl = await serve(h.app);
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const statusOf = (page: Page) => page.getByTestId('request-status');

  it('from typed request to plan card, confirm, the Code tab at work, and live with its commit', async () => {
    const page = await browser.open(baseUrl);

    // Signed in from the link's fragment, which is then gone; the console opens the only project.
    await page.waitForURL(`${baseUrl}/projects/${projectId}`);
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(() => localStorage.getItem('vibn.token'))).toBeTruthy();

    await page.getByTestId('composer-input').fill('Add a referral program');
    await page.getByTestId('composer-send').click();
    await page.waitForURL(new RegExp(`/projects/${projectId}/conversations/[0-9a-f-]{36}$`));
    const conversationId = page.url().split('/').at(-1)!;

    // The plan card, in plain sentences, labelled as a scripted demo.
    const card = page.locator('[data-testid="plan-card"][data-on-table="true"]');
    await card.waitFor({ timeout: 60_000 });
    await expect(card.innerText()).resolves.toMatch(/personal invite link/);
    await expect(card.getByTestId('scripted-label').count()).resolves.toBe(1);
    await expect(card.innerText()).resolves.toMatch(/about 8 min/);
    await expect(page.getByTestId('conversation-link').first().innerText()).resolves.toMatch(/Add a referral program/);

    await card.getByTestId('plan-confirm').click();
    await page.getByTestId('tab-code').click();

    // The Code tab shows the code tasks as they run, each with its live step log.
    const codeTasks = page.getByTestId('module-code').getByTestId('task');
    await codeTasks.first().waitFor({ timeout: 60_000 });
    await page.locator('[data-testid="module-code"] [data-testid="step-log"] li[data-kind="agent.turn"]').first().waitFor({ timeout: 60_000 });

    // Live, with the commit that landed on the remote.
    await page.locator('[data-testid="deploy"][data-status="succeeded"]').waitFor({ timeout: 150_000 });
    await page.locator('[data-testid="request-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('deploy').innerText()).resolves.toMatch(/^Live/);
    const head = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim();
    await expect(page.getByTestId('commit').getAttribute('data-commit')).resolves.toBe(head);
    await expect(page.getByTestId('commit').innerText()).resolves.toContain(head.slice(0, 7));
    await expect(page.getByTestId('push').innerText()).resolves.toMatch(/main/);
    await expect(statusOf(page).innerText()).resolves.toMatch(/Done/);

    // Every code task went through, with the files it changed and its checks shown.
    const view = await h.conversation(conversationId);
    const codeIds = view.tasks.filter((t) => t.module === 'code').map((t) => t.id).sort();
    expect(codeIds.length).toBeGreaterThan(0);
    await expect(codeTasks.evaluateAll((els) => els.map((e) => e.getAttribute('data-task-id')).sort())).resolves.toEqual(codeIds);
    await expect(codeTasks.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).resolves.toEqual(codeIds.map(() => 'done'));
    await expect(page.getByTestId('module-code').getByTestId('changed-files').first().innerText()).resolves.toMatch(/src\/referral\.js|public\/referral\.html/);

    // Assist's follow-up after the work, labelled scripted too; the Growth tab has its own task.
    const last = page.locator('[data-testid="message"][data-role="assist"]').last();
    await last.filter({ hasText: /referral program is live/ }).waitFor();
    await expect(last.getByTestId('scripted-label').count()).resolves.toBe(1);
    await page.getByTestId('tab-growth').click();
    await page.locator('[data-testid="module-growth"] [data-testid="task"][data-status="done"]').first().waitFor();

    // The founder never reads a tier, a model or an agent's name.
    expect(await page.locator('body').innerText()).not.toMatch(HIDDEN);

    // A reload lands on the same conversation, whole.
    await page.reload();
    await page.locator('[data-testid="request-status"][data-status="completed"]').waitFor();
    await page.locator('[data-testid="deploy"][data-status="succeeded"]').waitFor();
    expect(page.url()).toBe(`${baseUrl}/projects/${projectId}/conversations/${conversationId}`);

    expect(browser.pageErrors).toEqual([]);
  });

  it("Browse shows the files of the commit just pushed, and a file's text", async () => {
    const head = (await runGit(h.remote.bareDir, ['rev-parse', 'main'])).stdout.trim();
    const page = await browser.open(baseUrl, `/projects/${projectId}`);
    await page.getByTestId('tab-browse').click();
    const listing = page.getByTestId('browse-files').locator('button[data-path="README.md"]');
    await listing.waitFor();
    await expect(page.getByTestId('browse').innerText()).resolves.toContain(`main at ${head.slice(0, 7)}`);
    await page.locator('[data-testid="browse-files"] button[data-path="public/referral.html"]').click();
    await expect(page.getByTestId('file-content').innerText()).resolves.toContain('Give a month, get a month');
    expect(browser.pageErrors).toEqual([]);
  });
});
