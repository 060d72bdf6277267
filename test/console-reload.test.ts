/**
 * A reload in the middle of a running task loses nothing and shows nothing twice: the step log the console
 * renders at the end is exactly the conversation's stored events for that task, each seq once, in order.
 */
import type { Duplex } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioSchema } from '../llm/scenario.js';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { planReply } from './helpers/scenarios.js';
import { startRequestHarness } from './helpers/request-harness.js';

/** One code task whose agent runs two slow commands, so the page can be reloaded while it works. */
const slowScenario = scenarioSchema.parse({
  name: 'slow-notes',
  match: '^slow notes\\b',
  assist: [planReply('Write notes/slow.md')],
  advisors: { code: { summary: 'Write notes/slow.md', tasks: [{ title: 'Write notes/slow.md', instructions: 'Create notes/slow.md', complexity: 'simple' }] } },
  orchestrator: [{ tasks: [{ id: 'write', title: 'Write notes/slow.md', instructions: 'Create notes/slow.md', module: 'code', tier: 'A', dependsOn: [] }] }],
  agents: {
    write: [
      { say: 'Writing the notes first.', tool: 'write_file', input: { path: 'notes/slow.md', content: '# slow\n' } },
      { tool: 'execute_command', input: { command: 'sleep 3 && echo first-nap' } },
      { tool: 'execute_command', input: { command: 'sleep 3 && echo second-nap' } },
      { tool: 'finish', input: { summary: 'Wrote notes/slow.md' } },
    ],
  },
  followUp: { text: 'notes/slow.md is live.' },
});

describe('the console across a reload and a dropped connection mid-task', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;
  let projectId: string;
  /** Every WebSocket upgrade the server saw, so the test can cut the live stream as a network blip would. */
  const upgrades: Array<{ url: string; socket: Duplex }> = [];

  beforeAll(async () => {
    h = await startRequestHarness([slowScenario]);
    projectId = await h.createProject();
    baseUrl = await serve(h.app);
    h.app.server.on('upgrade', (req, socket: Duplex) => upgrades.push({ url: req.url ?? '', socket }));
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  const seqsShown = (page: Page, selector: string) =>
    page.locator(selector).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));

  it('shows every step of the task exactly once, in order, none missing', async () => {
    const { conversationId } = await h.startRequest(projectId, 'slow notes please');
    const page = await browser.open(baseUrl, `/projects/${projectId}/conversations/${conversationId}`);

    await page.locator('[data-testid="plan-card"][data-on-table="true"] [data-testid="plan-confirm"]').click({ timeout: 60_000 });
    await page.getByTestId('tab-code').click();
    // Mid-task: the agent has started its first slow command.
    await page.locator('[data-testid="step-log"] li[data-kind="agent.turn"]', { hasText: 'first-nap' }).waitFor({ timeout: 60_000 });
    const before = await h.conversation(conversationId);
    expect(before.tasks.map((t) => t.status)).toEqual(['running']);
    const seqAtReload = Math.max(...(await h.events(conversationId)).map((e) => e.seq));

    await page.reload();
    await page.getByTestId('tab-code').click();

    // Then the stream drops while the second command runs: the console reconnects and resumes by seq.
    await page.locator('[data-testid="step-log"] li[data-kind="agent.turn"]', { hasText: 'second-nap' }).waitFor({ timeout: 60_000 });
    const seqAtDrop = Math.max(...(await h.events(conversationId)).map((e) => e.seq));
    const streams = () => upgrades.filter((u) => u.url.startsWith('/api/stream'));
    for (const u of streams()) u.socket.destroy();
    await page.locator('[data-testid="request-status"][data-status="completed"]').waitFor({ timeout: 120_000 });
    await page.locator('[data-testid="task"][data-status="done"]').waitFor();
    await page.locator('[data-testid="step-log"] li[data-kind="task.status"]', { hasText: 'Finished' }).waitFor();

    const view = await h.conversation(conversationId);
    const task = view.tasks[0]!;
    const sessionId = (task as { sessionId?: string }).sessionId;
    const events = await h.events(conversationId);
    // The task's log: events of its session, and the status changes the request records by task id.
    const expected = events
      .filter((e) => (e.sessionId ? e.sessionId === sessionId : e.kind === 'task.status' && e.payload.taskId === task.id))
      .map((e) => e.seq);
    expect(expected.some((seq) => seq <= seqAtReload)).toBe(true);
    expect(expected.some((seq) => seq > seqAtDrop)).toBe(true);
    // One stream per page load, and one more after the drop.
    expect(streams().length).toBeGreaterThanOrEqual(3);

    const shown = await seqsShown(page, `[data-task-id="${task.id}"] [data-testid="step-log"] li`);
    expect(shown).toEqual(expected);
    const everywhere = await seqsShown(page, '[data-seq]');
    expect(new Set(everywhere).size).toBe(everywhere.length);

    // The last steps arrived live after the drop, and the log reads in the founder's words.
    const log = await page.locator(`[data-task-id="${task.id}"] [data-testid="step-log"]`).innerText();
    expect(log).toMatch(/Ran sleep 3 && echo second-nap/);
    expect(log).toMatch(/second-nap/);
    expect(log).not.toMatch(/\btier\b/i);
    expect(browser.pageErrors).toEqual([]);
  });

  it('stops the request from the Stop button while its task runs', async () => {
    const { conversationId } = await h.startRequest(projectId, 'slow notes, to be stopped');
    const page = await browser.open(baseUrl, `/projects/${projectId}/conversations/${conversationId}`);
    await page.locator('[data-testid="plan-card"][data-on-table="true"] [data-testid="plan-confirm"]').click({ timeout: 60_000 });
    await page.getByTestId('tab-code').click();
    await page.locator('[data-testid="step-log"] li[data-kind="agent.turn"]', { hasText: 'first-nap' }).waitFor({ timeout: 60_000 });

    await page.getByTestId('stop').click();
    await page.locator('[data-testid="request-status"][data-status="stopped"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('request-status').innerText()).resolves.toMatch(/^Stopped/);
    await page.locator('[data-testid="task"][data-status="stopped"]').waitFor();
    await expect(page.getByTestId('stop').count()).resolves.toBe(0);
    await expect(h.conversation(conversationId)).resolves.toMatchObject({ status: 'stopped' });
    expect(browser.pageErrors).toEqual([]);
  });
});
