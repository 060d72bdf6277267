import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureAdminToken } from './admin-token.js';
import { loadConfig } from './config.js';

describe('admin token', () => {
  const homes: string[] = [];
  const newHome = async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-admin-'));
    homes.push(home);
    return path.join(home, 'state');
  };
  afterEach(async () => {
    for (const home of homes.splice(0)) await fs.rm(home, { recursive: true, force: true });
  });

  it('is generated once into VIBN_HOME/admin-token with mode 600, then read back', async () => {
    const home = await newHome();
    const first = await ensureAdminToken(home, undefined);
    expect(first.source).toBe('generated');
    expect(first.token).toMatch(/^vibn_admin_[A-Za-z0-9_-]{43}$/);
    const file = path.join(home, 'admin-token');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await fs.chmod(file, 0o644);
    const again = await ensureAdminToken(home, undefined);
    expect(again).toEqual({ token: first.token, source: 'file', file });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('uses VIBN_ADMIN_TOKEN when set and writes nothing', async () => {
    const home = await newHome();
    expect(await ensureAdminToken(home, 'configured-token-123456')).toEqual({ token: 'configured-token-123456', source: 'config' });
    await expect(fs.stat(path.join(home, 'admin-token'))).rejects.toThrow();
  });

  it('parses the hardening settings, refusing short tokens and origins with paths', () => {
    const config = loadConfig({ VIBN_CORS_ORIGINS: 'https://a.example, http://localhost:5173', RATE_LIMIT_PER_MINUTE: '60', TEMPORAL_UI_PORT: '9000' });
    expect(config.http).toEqual({ corsOrigins: ['https://a.example', 'http://localhost:5173'], rateLimitPerMinute: 60, wrongTokenLimitPerMinute: 20 });
    expect(config.temporal.uiUrl).toBe('http://127.0.0.1:9000');
    expect(loadConfig({}).http).toEqual({ corsOrigins: [], rateLimitPerMinute: 600, wrongTokenLimitPerMinute: 20 });
    expect(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example/' }).temporal.uiUrl).toBe('https://temporal.example');
    expect(() => loadConfig({ VIBN_ADMIN_TOKEN: 'short' })).toThrow(/VIBN_ADMIN_TOKEN/);
    expect(() => loadConfig({ VIBN_CORS_ORIGINS: 'https://a.example/app' })).toThrow(/VIBN_CORS_ORIGINS/);
  });
});
