import { resolve } from 'node:path';
import { ENV } from '#core/config/env-names.ts';
import type { AppConfig } from '#core/config/parse-config.ts';
import type { WorkerLog } from '#runtime/worker/worker-log.ts';

/**
 * The model bundle of local mode: VIBE_BUNDLE_DIR when set, otherwise the cached tiny test bundle
 * (generated on first use under `.cache/tiny-bundles/`, imported lazily because the generator is a
 * test fixture). The worker's banner and every job's `model.synthetic` then say that the output is
 * not a real edit; this warning says why.
 */
export async function resolveLocalBundle(config: AppConfig, log: WorkerLog): Promise<string> {
  const configured = config.worker.bundleDir;
  if (configured !== undefined) return resolve(configured);
  log.warn(
    `${ENV.bundleDir} is unset: local mode runs on the TINY TEST BUNDLE; outputs are NOT real edits`,
  );
  const { ensureTinyBundle } = await import('#test/fixtures/tiny-bundle/tiny-bundle-cache.ts');
  return ensureTinyBundle({ precision: 'float32' });
}
