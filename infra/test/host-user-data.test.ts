import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HOST_MODEL_CACHE_DIR, hostUserData } from '../lib/host-user-data.ts';

describe('hostUserData', () => {
  it('is valid bash that prepares the cache, the ECS agent and the GPU metrics', () => {
    const script = hostUserData({ modelCache: 'instance-store', spot: true }).join('\n');

    const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });

    expect(syntax.status, syntax.stderr).toBe(0);
    expect(script).toContain(`mount -o noatime "$VIBE_DEV" ${HOST_MODEL_CACHE_DIR}`);
    expect(script).toContain(`chown 10001:10001 ${HOST_MODEL_CACHE_DIR}`);
    expect(script).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
    // The agent's own placeholder, left for the agent to fill in.
    expect(script).toContain(`"AutoScalingGroupName":"$${'{'}aws:AutoScalingGroupName}"`);
  });

  it('leaves the cache on the root volume and spot draining off when not asked', () => {
    const script = hostUserData({ modelCache: 'ebs', spot: false }).join('\n');

    expect(script).not.toContain('mkfs');
    expect(script).not.toContain('SPOT');
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
  });
});
