import { describe, expect, it } from 'vitest';
import { nextPromotionStep } from './promote-version.js';

const summary = (buildId: string, activatedBefore = false) => ({
  deploymentVersion: { deploymentName: 'vibn', buildId },
  firstActivationTime: activatedBefore ? {} : null,
});
const deployment = (versions: ReturnType<typeof summary>[], routing: { current?: string; ramping?: string } = {}) => ({
  workerDeploymentInfo: {
    versionSummaries: versions,
    routingConfig: {
      currentDeploymentVersion: routing.current ? { deploymentName: 'vibn', buildId: routing.current } : null,
      rampingDeploymentVersion: routing.ramping ? { deploymentName: 'vibn', buildId: routing.ramping } : null,
    },
  },
});

describe('a new build promoting itself', () => {
  it('waits until the server has seen it poll', () => {
    expect(nextPromotionStep(undefined, 'b2').kind).toBe('wait');
    expect(nextPromotionStep(deployment([summary('b1', true)], { current: 'b1' }), 'b2').kind).toBe('wait');
  });

  it('takes over from the current build, or from no build at all (the first versioned worker)', () => {
    expect(nextPromotionStep(deployment([summary('b1', true), summary('b2')], { current: 'b1' }), 'b2')).toEqual({ kind: 'promote' });
    expect(nextPromotionStep(deployment([summary('b1')]), 'b1')).toEqual({ kind: 'promote' });
  });

  it('has nothing to do when it is current already (a second replica of the same build)', () => {
    expect(nextPromotionStep(deployment([summary('b2', true)], { current: 'b2' }), 'b2')).toEqual({ kind: 'done', outcome: 'already current' });
  });

  it('never takes the deployment back for a build that was replaced, nor during a ramp by hand', () => {
    const restarted = nextPromotionStep(deployment([summary('b1', true), summary('b2', true)], { current: 'b2' }), 'b1');
    expect(restarted).toMatchObject({ kind: 'done', outcome: 'left to the operator', why: expect.stringMatching(/was current before/) });
    const ramping = nextPromotionStep(deployment([summary('b1', true), summary('b2'), summary('b3')], { current: 'b1', ramping: 'b2' }), 'b3');
    expect(ramping).toMatchObject({ kind: 'done', outcome: 'left to the operator', why: expect.stringMatching(/b2 is ramping/) });
  });
});
