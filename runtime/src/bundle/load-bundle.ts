import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BundleError } from '#core/errors.ts';
import { bundleError } from './bundle-failure.ts';
import { resolveBundlePath } from './bundle-path.ts';
import type { BundlePrecision, ConstantName, GraphName } from './graph-contract.ts';
import type { BundleManifest } from './manifest-schema.ts';
import { parseManifest } from './parse-manifest.ts';
import { validateManifestContract } from './validate-manifest-contract.ts';
import { isNotFound, unreadable, verifyBundleFiles } from './verify-bundle-files.ts';

export interface LoadBundleOptions {
  /**
   * Hash every file and compare with the manifest's sha256. Costs about 0.6–0.8 s per GB (page cache); turn it off
   * only where the folder was verified already (e.g. right after a verified download).
   * @default true
   */
  readonly verifyChecksums?: boolean;
}

/** A validated model bundle: every graph, constant and tokenizer file is present and checked. */
export interface LoadedBundle {
  /** Absolute path of the bundle folder. */
  readonly dir: string;
  readonly manifest: BundleManifest;
  readonly precision: BundlePrecision;
  /** Absolute path of a graph's .onnx file (its external data lies beside it). */
  graphPath(name: GraphName): string;
  /** A constant tensor (raw little-endian float32), checked against its manifest dims. */
  readConstant(name: ConstantName): Promise<Float32Array>;
  /** Absolute paths of the tokenizer files. */
  readonly tokenizerPaths: {
    readonly tokenizerJson: string;
    readonly tokenizerConfig: string;
    readonly chatTemplate: string;
  };
}

const HOW_TO_GET_A_BUNDLE =
  'Export one from the published checkpoint with the exporter in runtime/exporter, or generate a ' +
  'tiny test bundle (tests only, not real edits) with `npm run tiny-bundle -- --out ./bundles/tiny-fp32`; ' +
  'see docs/model-bundle.md';

/**
 * Loads and validates a model bundle folder: manifest shape and version, the graph contract, the
 * architecture's fixed config values, paths, file sizes and (by default) sha256 checksums.
 * @throws BundleError BUNDLE_MISSING when the folder, manifest.json or a listed file is absent;
 *   BUNDLE_INVALID for anything else. Messages name the file, the field, what was expected and
 *   what was found.
 */
export async function loadBundle(
  dir: string,
  options: LoadBundleOptions = {},
): Promise<LoadedBundle> {
  const bundle = resolve(dir);
  await assertFolder(bundle);
  const manifestPath = resolveBundlePath(bundle, '(manifest)', 'manifest.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    if (!isNotFound(error)) throw unreadable(bundle, 'manifest.json', '(file)', error);
    throw bundleError(
      'BUNDLE_MISSING',
      {
        bundle,
        file: 'manifest.json',
        field: '(file)',
        expected: 'manifest.json in the bundle folder',
        found: 'nothing',
        hint: HOW_TO_GET_A_BUNDLE,
      },
      error,
    );
  }
  const manifest = parseManifest(bundle, text);
  validateManifestContract(bundle, manifest);
  await verifyBundleFiles(bundle, manifest, options.verifyChecksums ?? true);

  const at = (field: string, path: string) => resolveBundlePath(bundle, field, path);
  return {
    dir: bundle,
    manifest,
    precision: manifest.precision,
    graphPath: (name) => at(`graphs.${name}.file`, manifest.graphs[name].file),
    readConstant: (name) => readConstant(bundle, manifest, name),
    tokenizerPaths: {
      tokenizerJson: at('tokenizer.tokenizerJson', manifest.tokenizer.tokenizerJson),
      tokenizerConfig: at('tokenizer.tokenizerConfig', manifest.tokenizer.tokenizerConfig),
      chatTemplate: at('tokenizer.chatTemplate', manifest.tokenizer.chatTemplate),
    },
  };
}

async function assertFolder(bundle: string): Promise<void> {
  const info = await stat(bundle).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw unreadable(bundle, bundle, '(folder)', error);
  });
  if (info?.isDirectory() === true) return;
  const found = info === undefined ? 'nothing' : 'a file, not a folder';
  throw new BundleError(
    'BUNDLE_MISSING',
    `No model bundle at ${bundle}: expected a folder with manifest.json but found ${found}. ${HOW_TO_GET_A_BUNDLE}.`,
    {
      details: {
        bundle,
        file: bundle,
        field: '(folder)',
        expected: 'a folder with manifest.json',
        found,
      },
    },
  );
}

async function readConstant(
  bundle: string,
  manifest: BundleManifest,
  name: ConstantName,
): Promise<Float32Array> {
  const entry = manifest.constants[name];
  const field = `constants.${name}.file`;
  const bytes = await readFile(resolveBundlePath(bundle, field, entry.file)).catch(
    (error: unknown) => {
      if (!isNotFound(error)) throw unreadable(bundle, entry.file, field, error);
      throw bundleError(
        'BUNDLE_MISSING',
        { bundle, file: entry.file, field, expected: 'the constant file', found: 'nothing' },
        error,
      );
    },
  );
  const count = entry.dims.reduce((product, d) => product * d, 1);
  if (bytes.byteLength !== count * 4) {
    throw bundleError('BUNDLE_INVALID', {
      bundle,
      file: entry.file,
      field: `constants.${name}.dims`,
      expected: `${count * 4} bytes (float32 ${JSON.stringify(entry.dims)})`,
      found: `${bytes.byteLength} bytes`,
    });
  }
  // Decode explicitly little-endian; a DataView also avoids the alignment rules of typed views.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}
