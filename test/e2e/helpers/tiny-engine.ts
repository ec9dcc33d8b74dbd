import { EditEngine } from '#runtime/engine/edit-engine.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { HeldEngine } from './held-engine.ts';

/**
 * The real EditEngine on the tiny float32 bundle (its output is NOT a real edit) with one ORT
 * thread, as the CI machines have two cores, behind a HeldEngine that holds each job `holdMs`.
 */
export async function tinyEngine(holdMs = 0): Promise<HeldEngine> {
  const bundleDir = await ensureTinyBundle({ precision: 'float32' });
  return new HeldEngine(
    new EditEngine({ bundleDir, provider: { name: 'cpu' }, intraOpThreads: 1 }),
    holdMs,
  );
}
