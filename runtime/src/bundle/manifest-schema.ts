/**
 * The schema of a model bundle's `manifest.json` (docs/model-bundle.md). It checks the shape and the
 * types of every field; what the VIBE architecture and the graph contract fix (graph I/O, constant
 * dims, meta-token count, VAE and vision geometry) is checked afterwards by
 * `validateManifestContract`, so its messages can name the contract.
 *
 * Objects are strict: an unknown key is refused, because a misspelt optional key (`externaldata`,
 * `paritytrace`) would otherwise be dropped silently. New fields come with a new manifestVersion.
 */
import { z } from 'zod';
import { GRAPH_NAMES, type GraphName, MANIFEST_VERSION } from './graph-contract.ts';

/** Manifest versions this runtime reads. */
export const SUPPORTED_MANIFEST_VERSIONS: readonly number[] = [MANIFEST_VERSION];

const SHA256_HEX = /^[0-9a-f]{64}$/;

const nonEmpty = z.string().min(1);
const template = z.string().includes('{instruction}', 'a template containing "{instruction}"');
/** A path inside the bundle; `checkBundlePath` enforces the path rules with a precise message. */
const bundlePath = nonEmpty;

const dim = z.union([z.number().int().nonnegative(), nonEmpty]);

const tensorSpec = z.strictObject({
  name: nonEmpty,
  dtype: z.enum(['float32', 'float16', 'int32']),
  dims: z.array(dim),
});

const graphSpec = z.strictObject({
  file: bundlePath,
  /** ONNX external-data files beside the graph (graphs over 2 GB). */
  externalData: z.array(bundlePath).optional(),
  inputs: z.array(tensorSpec),
  outputs: z.array(tensorSpec),
});

const graphs = z.strictObject(
  Object.fromEntries(GRAPH_NAMES.map((name) => [name, graphSpec])) as Record<
    GraphName,
    typeof graphSpec
  >,
);

const constantSpec = z.strictObject({
  file: bundlePath,
  dtype: z.literal('float32'),
  dims: z.array(z.number().int().nonnegative()),
});

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const count = z.number().int().positive();
const tokenId = z.number().int().nonnegative();
const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/** DPM-Solver++ 2M with flow sigmas: the only scheduler the TypeScript sampler implements. */
const scheduler = z.strictObject({
  type: z.literal('dpmsolver++'),
  solverOrder: z.literal(2),
  solverType: z.literal('midpoint'),
  predictionType: z.literal('flow_prediction'),
  useFlowSigmas: z.literal(true),
  flowShift: positive,
  numTrainTimesteps: count,
  finalSigmasType: z.literal('zero'),
  lowerOrderFinal: z.literal(true),
  timestepScale: positive,
});

const config = z.strictObject({
  metaTokens: count,
  cfgDistilled: z.boolean(),
  defaults: z.strictObject({
    steps: count,
    guidanceScale: nonNegative,
    imageGuidanceScale: nonNegative,
    seed: z.number().int().nonnegative(),
  }),
  scheduler,
  vae: z.strictObject({ scalingFactor: positive, downsample: count, latentChannels: count }),
  vision: z.strictObject({
    patchSize: count,
    mergeSize: count,
    temporalPatchSize: count,
    minPixels: count,
    maxPixels: count,
    imageMean: rgbTriple,
    imageStd: z.tuple([positive, positive, positive]),
    numPositionEmbeddings: count,
    ropeTheta: positive,
  }),
  text: z.strictObject({
    ropeTheta: positive,
    mropeSection: z.tuple([count, count, count]),
    headDim: count,
    imagePadTokenId: tokenId,
    visionStartTokenId: tokenId,
    visionEndTokenId: tokenId,
    editPromptTemplate: template,
    textToImagePromptTemplate: template,
  }),
});

const fileEntry = z.strictObject({
  sha256: z.string().regex(SHA256_HEX, 'a sha256 of 64 lowercase hexadecimal characters'),
  bytes: z.number().int().nonnegative(),
});

export const bundleManifestSchema = z.strictObject({
  manifestVersion: z.literal(MANIFEST_VERSION),
  model: z.strictObject({
    name: nonEmpty,
    version: nonEmpty,
    source: nonEmpty,
    architecture: nonEmpty,
    /** True for generated test bundles whose output is not a real edit. */
    synthetic: z.boolean(),
    notice: z.string(),
  }),
  precision: z.enum(['float32', 'float16']),
  graphs,
  constants: z.strictObject({ meta_queries: constantSpec, hid_null: constantSpec }),
  tokenizer: z.strictObject({
    tokenizerJson: bundlePath,
    tokenizerConfig: bundlePath,
    chatTemplate: bundlePath,
  }),
  config,
  /** Every file of the bundle except manifest.json, keyed by its bundle-relative path. */
  files: z.record(z.string(), fileEntry),
  parityTrace: bundlePath.optional(),
});

/** A parsed `manifest.json` (shape-checked; see `loadBundle` for the full validation). */
export type BundleManifest = z.infer<typeof bundleManifestSchema>;
export type ManifestGraph = BundleManifest['graphs'][GraphName];
export type ManifestTensor = ManifestGraph['inputs'][number];
export type ManifestConfig = BundleManifest['config'];
