/** Signing in, the Settings page (with its errors naming the field), secrets, and the Memory page, in a browser. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProjectSecret } from '../db/queries/project-secrets.js';
import { advisorMemory } from '../db/schema.js';
import { TEST_ADMIN_TOKEN } from './helpers/api-auth.js';
import { launchConsoleBrowser, serve, type ConsoleBrowser } from './helpers/browser.js';
import { startRequestHarness } from './helpers/request-harness.js';

describe('the console around the conversations', () => {
  let h: Awaited<ReturnType<typeof startRequestHarness>>;
  let browser: ConsoleBrowser;
  let baseUrl: string;
  let projectId: string;

  beforeAll(async () => {
    h = await startRequestHarness([], {}, { inProcessWorker: false });
    projectId = await h.createProject();
    baseUrl = await serve(h.app);
    browser = await launchConsoleBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('asks for a token when the one it has is refused, and opens the project with the right one', async () => {
    const page = await browser.open(baseUrl, `/projects/${projectId}`, 'not-the-token-0123456789');
    await page.getByTestId('sign-in').waitFor();
    await expect(page.getByTestId('sign-in').innerText()).resolves.toMatch(/not accepted/);
    expect(await page.evaluate(() => localStorage.getItem('vibn.token'))).toBeNull();

    await page.getByTestId('sign-in').locator('input').fill(TEST_ADMIN_TOKEN);
    await page.getByTestId('sign-in').locator('button[type="submit"]').click();
    await page.getByTestId('composer-input').waitFor();
    expect(page.url()).toBe(`${baseUrl}/projects/${projectId}`);
    expect(browser.pageErrors).toEqual([]);
  });

  it('saves settings, names the field of a refused one, and stores a secret without showing it', async () => {
    const page = await browser.open(baseUrl, `/projects/${projectId}/settings`);
    await page.getByTestId('settings-page').waitFor();

    await page.getByTestId('setting-briefingTime').fill('07:30');
    await page.getByTestId('setting-monthlyBudgetUsd').fill('250');
    await page.getByTestId('deploy-kind').selectOption('webhook');
    await page.getByTestId('deploy-webhookUrl').fill('https://deploy.example.com/hook');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    const saved = (await h.call('GET', `/api/projects/${projectId}`)).body;
    expect(saved).toMatchObject({ briefingTime: '07:30', monthlyBudgetUsd: 250, deploy: { kind: 'webhook', webhookUrl: 'https://deploy.example.com/hook' } });

    await page.getByTestId('setting-repoUrl').fill('not a repository');
    await page.getByTestId('settings-save').click();
    await expect(page.getByTestId('error-repoUrl').innerText()).resolves.toMatch(/^Repository URL: must be a git URL/);
    expect((await h.call('GET', `/api/projects/${projectId}`)).body.repoUrl).toBe(saved.repoUrl);

    // Emptying the budget goes back to the default.
    await page.getByTestId('setting-repoUrl').fill(saved.repoUrl);
    await page.getByTestId('setting-monthlyBudgetUsd').fill('');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    expect((await h.call('GET', `/api/projects/${projectId}`)).body.monthlyBudgetUsd).toBeNull();

    await page.getByTestId('secret-name').selectOption('coolify_token');
    await page.getByTestId('secret-value').fill('coolify-secret-value-123');
    await page.getByTestId('secret-save').click();
    await page.getByTestId('secrets-form').getByText('Coolify API token saved.').waitFor();
    await expect(page.getByTestId('secret-value').inputValue()).resolves.toBe('');
    await expect(getProjectSecret(h.database.db, projectId, 'coolify_token')).resolves.toBe('coolify-secret-value-123');
    await expect(page.getByTestId('usage-total').innerText()).resolves.toBe('$0.00');
    expect(browser.pageErrors).toEqual([]);
  });

  it('edits and deletes what Assist remembers', async () => {
    await h.database.db.insert(advisorMemory).values([
      { projectId, category: 'preference', key: 'tone', value: 'Friendly and short', confidence: 0.9 },
      { projectId, category: 'open', key: 'pricing', value: 'Decide on pricing', confidence: 0.8 },
    ]);
    const page = await browser.open(baseUrl, `/projects/${projectId}/memory`);
    const tone = page.locator('[data-testid="memory-row"]', { hasText: 'tone' });
    const pricing = page.locator('[data-testid="memory-row"]', { hasText: 'pricing' });
    await tone.waitFor();

    await tone.getByTestId('memory-value').fill('Friendly, short, no jargon');
    await tone.getByTestId('memory-category').selectOption('decision');
    await tone.getByTestId('memory-save').click();
    await expect.poll(async () => (await h.call('GET', `/api/projects/${projectId}/memory`)).body.memories.find((m: { key: string }) => m.key === 'tone')).toMatchObject({
      value: 'Friendly, short, no jargon',
      category: 'decision',
    });

    await pricing.getByTestId('memory-delete').click();
    await pricing.waitFor({ state: 'detached' });
    const left = (await h.call('GET', `/api/projects/${projectId}/memory`)).body.memories.map((m: { key: string }) => m.key);
    expect(left).toEqual(['tone']);
    expect(browser.pageErrors).toEqual([]);
  });
});
