import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamicConfigArgs } from './dev-server.js';

describe('dynamicConfigArgs', () => {
  it('turns the unconstrained value of each key into a dev server flag', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vibn-dc-'));
    const file = path.join(dir, 'dc.yaml');
    await fs.writeFile(
      file,
      ['a.flag:', '  - value: true', 'b.limit:', '  - value: 5', '    constraints: {namespace: x}', '  - value: 10', 'c.only:', '  - value: 1', '    constraints: {namespace: y}'].join('\n'),
    );
    expect(await dynamicConfigArgs(file)).toEqual(['--dynamic-config-value', 'a.flag=true', '--dynamic-config-value', 'b.limit=10']);
    await fs.rm(dir, { recursive: true });
  });

  it('parses the committed dynamic config file', async () => {
    const args = await dynamicConfigArgs();
    expect(args.length).toBeGreaterThan(0);
    expect(args.filter((_, i) => i % 2 === 0).every((a) => a === '--dynamic-config-value')).toBe(true);
  });
});
