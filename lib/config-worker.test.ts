import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('the worker settings', () => {
  it('drain for two minutes, then give cancelled work thirty seconds, and are versioned as deployment vibn', () => {
    expect(loadConfig({}).worker).toEqual({
      maxActivities: 16,
      dbPoolSize: 40,
      shutdownGraceMs: 120_000,
      shutdownForceMs: 30_000,
      versioning: { deploymentName: 'vibn', buildId: undefined, promote: true },
    });
  });

  it('take durations with their unit, and the versioning settings', () => {
    const { worker } = loadConfig({
      VIBN_WORKER_SHUTDOWN_GRACE: '10m',
      VIBN_WORKER_SHUTDOWN_FORCE: '45s',
      VIBN_WORKER_DEPLOYMENT: 'vibn-eu',
      VIBN_BUILD_ID: '2026.05.1',
      VIBN_WORKER_PROMOTE: '0',
    });
    expect(worker).toMatchObject({ shutdownGraceMs: 600_000, shutdownForceMs: 45_000, versioning: { deploymentName: 'vibn-eu', buildId: '2026.05.1', promote: false } });
    expect(loadConfig({ VIBN_WORKER_SHUTDOWN_GRACE: '0', VIBN_WORKER_SHUTDOWN_FORCE: '' }).worker).toMatchObject({ shutdownGraceMs: 0, shutdownForceMs: 30_000 });
    expect(loadConfig({ VIBN_WORKER_VERSIONING: 'off' }).worker.versioning).toBeUndefined();
  });

  it('stop the start with the variable named when a value does not parse', () => {
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ VIBN_WORKER_SHUTDOWN_GRACE: '120' }, /VIBN_WORKER_SHUTDOWN_GRACE: must be a duration such as 90s, 2m or 1h/],
      [{ VIBN_WORKER_SHUTDOWN_GRACE: 'two minutes' }, /VIBN_WORKER_SHUTDOWN_GRACE: must be a duration/],
      [{ VIBN_WORKER_SHUTDOWN_FORCE: '0' }, /VIBN_WORKER_SHUTDOWN_FORCE: must be between 1s and 3600s/],
      [{ VIBN_WORKER_SHUTDOWN_GRACE: '2d' }, /VIBN_WORKER_SHUTDOWN_GRACE/],
      [{ VIBN_WORKER_DEPLOYMENT: 'vibn.prod' }, /VIBN_WORKER_DEPLOYMENT: must be 1 to 100 letters/],
      [{ VIBN_WORKER_DEPLOYMENT: '__vibn' }, /VIBN_WORKER_DEPLOYMENT/],
      [{ VIBN_BUILD_ID: 'has space' }, /VIBN_BUILD_ID/],
      [{ VIBN_WORKER_VERSIONING: 'no' }, /VIBN_WORKER_VERSIONING/],
      [{ VIBN_WORKER_PROMOTE: 'yes' }, /VIBN_WORKER_PROMOTE/],
    ];
    for (const [env, message] of refused) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });
});
