import { type BundleFailure, bundleError, show } from './bundle-failure.ts';
import {
  CONSTANT_CONTRACT,
  type ConstantName,
  dtypeOf,
  GRAPH_CONTRACT,
  GRAPH_NAMES,
  type TensorContract,
  VIBE_ARCHITECTURE,
} from './graph-contract.ts';
import type { BundleManifest, ManifestTensor } from './manifest-schema.ts';

const A = VIBE_ARCHITECTURE;

/**
 * Checks a shape-valid manifest against the graph contract and the VIBE architecture: graph files
 * and I/O (names in any order, dtypes for the bundle's precision, ranks, fixed dims, symbolic dim
 * names), constant files and dims, and the config values the architecture fixes.
 * @throws BundleError BUNDLE_INVALID naming the first mismatch.
 */
export function validateManifestContract(bundle: string, manifest: BundleManifest): void {
  const fail = (field: string, expected: string, found: string): never => {
    throw bundleError('BUNDLE_INVALID', { bundle, file: 'manifest.json', field, expected, found });
  };
  if (manifest.model.architecture !== A.id) {
    fail('model.architecture', show(A.id), show(manifest.model.architecture));
  }
  for (const graph of GRAPH_NAMES) {
    const contract = GRAPH_CONTRACT[graph];
    const entry = manifest.graphs[graph];
    if (entry.file !== contract.file)
      fail(`graphs.${graph}.file`, show(contract.file), show(entry.file));
    for (const side of ['inputs', 'outputs'] as const) {
      const failure = compareTensors(
        `graphs.${graph}.${side}`,
        contract[side],
        entry[side],
        manifest.precision,
      );
      if (failure !== undefined) fail(failure.field, failure.expected, failure.found);
    }
  }
  for (const name of Object.keys(CONSTANT_CONTRACT) as ConstantName[]) {
    const contract = CONSTANT_CONTRACT[name];
    const entry = manifest.constants[name];
    if (entry.file !== contract.file)
      fail(`constants.${name}.file`, show(contract.file), show(entry.file));
    if (!sameDims(entry.dims, contract.dims)) {
      fail(`constants.${name}.dims`, show(contract.dims), show(entry.dims));
    }
  }
  for (const [field, expected, found] of architectureFacts(manifest)) {
    if (expected !== found) fail(field, `${show(expected)} (fixed by ${A.id})`, show(found));
  }
  const { vision, text } = manifest.config;
  // M-RoPE splits the head_dim/2 frequencies between the t, h and w axes.
  if (text.mropeSection.reduce((sum, s) => sum + s, 0) !== A.lmHeadDim / 2) {
    fail(
      'config.text.mropeSection',
      `sections summing to ${A.lmHeadDim / 2}`,
      show(text.mropeSection),
    );
  }
  if (vision.minPixels > vision.maxPixels) {
    fail(
      'config.vision.minPixels',
      `at most maxPixels (${vision.maxPixels})`,
      show(vision.minPixels),
    );
  }
  const side = Math.round(Math.sqrt(vision.numPositionEmbeddings));
  if (side * side !== vision.numPositionEmbeddings) {
    fail(
      'config.vision.numPositionEmbeddings',
      'a square number (a side×side table)',
      show(vision.numPositionEmbeddings),
    );
  }
}

type Failure = Omit<BundleFailure, 'bundle' | 'file'>;

/** Compares one side (inputs or outputs) of a graph; returns the first mismatch. */
function compareTensors(
  field: string,
  contract: readonly TensorContract[],
  entries: readonly ManifestTensor[],
  precision: BundleManifest['precision'],
): Failure | undefined {
  const names = contract.map((t) => t.name);
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const expected = contract.find((t) => t.name === entry.name);
    if (expected === undefined) {
      return {
        field: `${field}[${i}].name`,
        expected: `one of ${show(names)}`,
        found: show(entry.name),
      };
    }
    if (seen.has(entry.name)) {
      return {
        field: `${field}[${i}].name`,
        expected: 'each name once',
        found: `${show(entry.name)} again`,
      };
    }
    seen.add(entry.name);
    const dtype = dtypeOf(expected.kind, precision);
    if (entry.dtype !== dtype) {
      return {
        field: `${field}[${i}].dtype`,
        expected: `${show(dtype)} (${expected.kind} tensor in a ${precision} bundle)`,
        found: show(entry.dtype),
      };
    }
    if (entry.dims.length !== expected.dims.length) {
      return {
        field: `${field}[${i}].dims`,
        expected: `rank ${expected.dims.length} ${show(expected.dims)}`,
        found: `rank ${entry.dims.length} ${show(entry.dims)}`,
      };
    }
    for (const [j, dim] of expected.dims.entries()) {
      if (entry.dims[j] !== dim) {
        return {
          field: `${field}[${i}].dims[${j}]`,
          expected: `${show(dim)} (dims ${show(expected.dims)})`,
          found: show(entry.dims[j]),
        };
      }
    }
  }
  const missing = names.filter((name) => !seen.has(name));
  if (missing.length > 0) {
    return {
      field,
      expected: `entries named ${show(names)}`,
      found: `no entry for ${show(missing)}`,
    };
  }
  return undefined;
}

function sameDims(a: readonly (number | string)[], b: readonly (number | string)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** [field, value the architecture fixes, value in the manifest]. */
function architectureFacts(manifest: BundleManifest): [string, unknown, unknown][] {
  const { config } = manifest;
  // The 1536-wide patch row is C·T·P·P = 3·2·16·16, and 4 patches merge into one token.
  return [
    ['config.metaTokens', A.metaTokens, config.metaTokens],
    ['config.vae.downsample', A.vaeDownsample, config.vae.downsample],
    ['config.vae.latentChannels', A.latentChannels, config.vae.latentChannels],
    ['config.vision.patchSize', 16, config.vision.patchSize],
    ['config.vision.temporalPatchSize', 2, config.vision.temporalPatchSize],
    ['config.vision.mergeSize', 2, config.vision.mergeSize],
    ['config.text.headDim', A.lmHeadDim, config.text.headDim],
  ];
}
