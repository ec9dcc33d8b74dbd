import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BundleError } from '#core/errors.ts';

/** Environment variable naming the default model bundle folder. */
export const MODEL_DIR_ENV = 'VIBE_MODEL_DIR';

export const HOW_TO_GET_A_BUNDLE = [
  'A model bundle is a folder with manifest.json and the ONNX graphs (docs/model-bundle.md).',
  '  Real weights: export one from iitolstykh/VIBE-Image-Edit with the exporter (docs/exporter.md),',
  '  then pass --model /path/to/bundle or set VIBE_MODEL_DIR.',
  '  For a wiring test only: `npm run tiny-bundle -- --out ./bundles/tiny` writes a tiny test',
  '  bundle whose output is NOT a real edit.',
].join('\n');

/** Resolves the bundle folder from --model or VIBE_MODEL_DIR, or says how to get one. */
export function resolveModelDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = flag ?? env[MODEL_DIR_ENV];
  if (chosen === undefined || chosen === '') {
    throw new BundleError('BUNDLE_MISSING', `No model bundle given.\n${HOW_TO_GET_A_BUNDLE}`);
  }
  const dir = resolve(chosen);
  if (!existsSync(dir)) {
    throw new BundleError(
      'BUNDLE_MISSING',
      `The model bundle folder ${dir} does not exist.\n${HOW_TO_GET_A_BUNDLE}`,
    );
  }
  return dir;
}
