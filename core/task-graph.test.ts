import { describe, expect, it } from 'vitest';
import { transitiveDependents, validateTaskGraph } from './task-graph.js';

const t = (id: string, dependsOn: string[] = []) => ({ id, dependsOn });

describe('validateTaskGraph', () => {
  it('orders a valid graph so that dependencies come first', () => {
    const check = validateTaskGraph([t('c', ['a', 'b']), t('a'), t('b', ['a'])]);
    expect(check).toEqual({ ok: true, order: ['a', 'b', 'c'] });
  });
  it('refuses empty and oversized graphs', () => {
    expect(validateTaskGraph([])).toMatchObject({ ok: false, error: expect.stringMatching(/no tasks/) });
    const big = Array.from({ length: 51 }, (_, i) => t(`t${i}`));
    expect(validateTaskGraph(big)).toMatchObject({ ok: false, error: expect.stringMatching(/limit is 50/) });
  });
  it('refuses duplicate ids, unknown and self dependencies', () => {
    expect(validateTaskGraph([t('a'), t('a')])).toMatchObject({ ok: false, error: expect.stringMatching(/used twice/) });
    expect(validateTaskGraph([t('a', ['x'])])).toMatchObject({ ok: false, error: expect.stringMatching(/"x", which is not/) });
    expect(validateTaskGraph([t('a', ['a'])])).toMatchObject({ ok: false, error: expect.stringMatching(/itself/) });
  });
  it('names the tasks on a cycle', () => {
    expect(validateTaskGraph([t('a'), t('b', ['c']), t('c', ['b'])])).toEqual({
      ok: false,
      error: 'The graph has a dependency cycle among: b, c.',
    });
  });
});

describe('transitiveDependents', () => {
  it('finds direct and indirect dependents only', () => {
    expect(transitiveDependents([t('a'), t('b', ['a']), t('c', ['b']), t('d')], 'a').sort()).toEqual(['b', 'c']);
  });
});
