import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommandDeploy } from '../runtime/deploy/command-deployer.js';
import { prepareWorkingCopy } from '../runtime/git/prepare-working-copy.js';
import { listFilesAtRef } from '../runtime/git/read-tree.js';
import { runGit } from '../runtime/git/run-git.js';
import { createDemoRepository } from './create-demo-repo.js';
import { removeStateFolder } from '../runtime/workspace/project-disk.js';

const DEPLOY_SCRIPT = fileURLToPath(new URL('./deploy-site.mjs', import.meta.url));

let stateDir: string;
beforeEach(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-demo-'));
});
afterEach(() => removeStateFolder(stateDir));

async function cloneDemo(): Promise<string> {
  const { remoteUrl } = await createDemoRepository({ stateDir });
  const dir = path.join(stateDir, 'workspaces', 'demo');
  await prepareWorkingCopy({ remoteUrl, branch: 'main', dir });
  return dir;
}

describe('createDemoRepository', () => {
  it('creates the demo once, as one commit by VIBN holding the template', async () => {
    const first = await createDemoRepository({ stateDir });
    expect(first).toMatchObject({ created: true, bareDir: path.join(stateDir, 'git', 'demo.git') });
    expect(first.remoteUrl).toMatch(/^file:\/\//);

    const second = await createDemoRepository({ stateDir });
    expect(second).toEqual({ ...first, created: false });

    const log = await runGit(first.bareDir, ['log', '--format=%an <%ae>', 'main']);
    expect(log.stdout).toBe('VIBN <vibn@localhost>');
    expect(await listFilesAtRef(first.bareDir, 'main')).toEqual(
      expect.arrayContaining(['package.json', 'vibn.json', 'public/index.html', 'public/styles.css', 'src/app.js', 'test/app.test.js']),
    );
    expect(await fs.readdir(path.join(stateDir, 'git'))).toEqual(['demo.git']);
  });

  it('gives a clone whose tests pass', async () => {
    const dir = await cloneDemo();
    const result = await execa(process.execPath, ['--test'], { cwd: dir, reject: false, env: { PATH: process.env.PATH ?? '' }, extendEnv: false });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/# fail 0/);
  });
});

describe('deploy-site', () => {
  it('publishes public/ behind a current symlink and logs one line per deploy', async () => {
    const dir = await cloneDemo();
    const sites = path.join(stateDir, 'sites');
    const deploy = (commit: string) =>
      runCommandDeploy({
        command: `"${process.execPath}" "${DEPLOY_SCRIPT}" "${dir}" "${sites}"`,
        cwd: dir,
        env: { VIBN_COMMIT: commit },
        timeoutMs: 20_000,
      });

    const first = await deploy('aaaa111');
    expect(first.ok, first.logTail).toBe(true);
    expect(await fs.readFile(path.join(sites, 'current', 'index.html'), 'utf8')).toContain('Acme Notes');
    expect(await fs.readlink(path.join(sites, 'current'))).toBe('aaaa111');

    await fs.writeFile(path.join(dir, 'public', 'index.html'), '<h1>Acme Notes v2</h1>');
    expect((await deploy('bbbb222')).ok).toBe(true);
    expect(await fs.readFile(path.join(sites, 'current', 'index.html'), 'utf8')).toBe('<h1>Acme Notes v2</h1>');

    // Deploying the same commit again is harmless: same release, still one log line per run.
    expect((await deploy('bbbb222')).ok).toBe(true);
    const lines = (await fs.readFile(path.join(sites, 'deploys.log'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z bbbb222 bbbb222$/);
    expect((await fs.readdir(sites)).sort()).toEqual(['aaaa111', 'bbbb222', 'current', 'deploys.log']);
  });

  it('fails clearly when there is nothing to publish', async () => {
    const result = await runCommandDeploy({
      command: `"${process.execPath}" "${DEPLOY_SCRIPT}" "${stateDir}/nowhere" "${stateDir}/sites"`,
      cwd: stateDir,
      timeoutMs: 20_000,
    });
    expect(result).toMatchObject({ ok: false, exitCode: 1 });
    expect(result.logTail).toContain('has no index.html');
  });
});
