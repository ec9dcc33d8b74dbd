/**
 * The graph contract between the exporter (runtime/exporter), the tiny test bundles
 * (test/fixtures/tiny-bundle) and the TypeScript pipeline. One source of truth: the loader validates
 * every manifest and every ONNX session against it, and the tiny-bundle generator writes exactly it.
 *
 * Graph boundaries follow reference/vibe-inference.md §6.2 (G1–G7). Dims are either fixed numbers
 * (the VIBE architecture: Qwen3-VL-2B hidden 2048, Sana1.5 caption channels 2304, DC-AE 32 latent
 * channels, 224 meta tokens) or symbolic names that ONNX Runtime reports as strings.
 *
 * Float tensors come in two kinds:
 * - `model`: float32 in a float32 bundle, float16 in a float16 bundle;
 * - `float32`: always float32, in every bundle (numerically sensitive inputs: RoPE tables,
 *   interpolation weights and the timestep stay fp32 at the boundary, reference §7).
 */

export const MANIFEST_VERSION = 1 as const;

/** Architecture constants of VIBE (Qwen3-VL-2B + 224 meta tokens + Sana1.5 1.6B + DC-AE f32c32). */
export const VIBE_ARCHITECTURE = {
  id: 'vibe-sana1.5-1.6b-qwen3vl-2b',
  metaTokens: 224,
  lmHiddenSize: 2048,
  lmHeadDim: 128,
  captionChannels: 2304,
  latentChannels: 32,
  ditInChannels: 64,
  vaeDownsample: 32,
  visionPatchRow: 1536, // C·T·16·16 = 3·2·16·16
  visionRopeDim: 64,
  deepstackLayers: 3,
} as const;

export type BundlePrecision = 'float32' | 'float16';
export type TensorKind = 'model' | 'float32' | 'int32';
export type OnnxDtype = 'float32' | 'float16' | 'int32';
export type Dim = number | string;

export interface TensorContract {
  readonly name: string;
  readonly kind: TensorKind;
  readonly dims: readonly Dim[];
}

export interface GraphContract {
  /** File name inside the bundle folder. */
  readonly file: string;
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

const A = VIBE_ARCHITECTURE;

export const GRAPH_CONTRACT = {
  /** G1: Qwen3-VL vision tower with the merger and the three DeepStack mergers. */
  qwen_vision: {
    file: 'qwen_vision.onnx',
    inputs: [
      { name: 'pixel_values', kind: 'model', dims: ['num_patches', A.visionPatchRow] },
      { name: 'pos_idx', kind: 'int32', dims: [4, 'num_patches'] },
      { name: 'pos_w', kind: 'float32', dims: [4, 'num_patches'] },
      { name: 'rope_cos', kind: 'float32', dims: ['num_patches', A.visionRopeDim] },
      { name: 'rope_sin', kind: 'float32', dims: ['num_patches', A.visionRopeDim] },
    ],
    outputs: [
      { name: 'image_embeds', kind: 'model', dims: ['num_image_tokens', A.lmHiddenSize] },
      {
        name: 'deepstack',
        kind: 'model',
        dims: [A.deepstackLayers, 'num_image_tokens', A.lmHiddenSize],
      },
    ],
  },
  /** G2: token embedding lookup (keeps the 151,936 × 2048 table off the JS heap). */
  qwen_embed: {
    file: 'qwen_embed.onnx',
    inputs: [{ name: 'input_ids', kind: 'int32', dims: ['seq_len'] }],
    outputs: [{ name: 'inputs_embeds', kind: 'model', dims: ['seq_len', A.lmHiddenSize] }],
  },
  /** G3: Qwen3 LM without KV cache or lm_head; returns the last 224 rows after the final norm. */
  qwen_lm_hidden: {
    file: 'qwen_lm_hidden.onnx',
    inputs: [
      { name: 'inputs_embeds', kind: 'model', dims: [1, 'seq_len', A.lmHiddenSize] },
      { name: 'rope_cos', kind: 'float32', dims: [1, 'seq_len', A.lmHeadDim] },
      { name: 'rope_sin', kind: 'float32', dims: [1, 'seq_len', A.lmHeadDim] },
      {
        name: 'deepstack_embeds',
        kind: 'model',
        dims: [A.deepstackLayers, 1, 'seq_len', A.lmHiddenSize],
      },
    ],
    outputs: [{ name: 'meta_hidden', kind: 'model', dims: [1, A.metaTokens, A.lmHiddenSize] }],
  },
  /** G4: MetaConnector (adds meta_queries a second time inside, reference §3.2). */
  connector: {
    file: 'connector.onnx',
    inputs: [{ name: 'meta_hidden', kind: 'model', dims: ['batch', A.metaTokens, A.lmHiddenSize] }],
    outputs: [{ name: 'cond', kind: 'model', dims: ['batch', A.metaTokens, A.captionChannels] }],
  },
  /** G5: DC-AE encoder; the host multiplies by the VAE scaling factor. */
  vae_encoder: {
    file: 'vae_encoder.onnx',
    inputs: [{ name: 'image', kind: 'model', dims: [1, 3, 'height', 'width'] }],
    outputs: [
      {
        name: 'latent',
        kind: 'model',
        dims: [1, A.latentChannels, 'latent_height', 'latent_width'],
      },
    ],
  },
  /** G6: Sana1.5 DiT with channel-concatenated image latent; integer-valued timestep as float. */
  dit: {
    file: 'dit.onnx',
    inputs: [
      {
        name: 'hidden_states',
        kind: 'model',
        dims: ['batch', A.ditInChannels, 'latent_height', 'latent_width'],
      },
      {
        name: 'encoder_hidden_states',
        kind: 'model',
        dims: ['batch', A.metaTokens, A.captionChannels],
      },
      { name: 'timestep', kind: 'float32', dims: ['batch'] },
    ],
    outputs: [
      {
        name: 'noise_pred',
        kind: 'model',
        dims: ['batch', A.latentChannels, 'latent_height', 'latent_width'],
      },
    ],
  },
  /** G7: DC-AE decoder; the host divides by the VAE scaling factor first. */
  vae_decoder: {
    file: 'vae_decoder.onnx',
    inputs: [
      {
        name: 'latent',
        kind: 'model',
        dims: [1, A.latentChannels, 'latent_height', 'latent_width'],
      },
    ],
    outputs: [{ name: 'image', kind: 'model', dims: [1, 3, 'height', 'width'] }],
  },
} as const satisfies Record<string, GraphContract>;

export type GraphName = keyof typeof GRAPH_CONTRACT;
export const GRAPH_NAMES = Object.keys(GRAPH_CONTRACT) as GraphName[];

/** Constant tensors shipped as raw little-endian float32 files beside the graphs. */
export const CONSTANT_CONTRACT = {
  /** transformer.meta_queries: the 224 rows appended to the LM input (reference §3.2). */
  meta_queries: { file: 'meta_queries.f32', dims: [A.metaTokens, A.lmHiddenSize] },
  /** hid_null = connector(zeros + meta_queries): the unconditional caption (reference §3.2). */
  hid_null: { file: 'hid_null.f32', dims: [1, A.metaTokens, A.captionChannels] },
} as const;

export type ConstantName = keyof typeof CONSTANT_CONTRACT;

/** The ONNX dtype a tensor of `kind` has in a bundle of `precision`. */
export function dtypeOf(kind: TensorKind, precision: BundlePrecision): OnnxDtype {
  if (kind === 'int32') return 'int32';
  if (kind === 'float32') return 'float32';
  return precision;
}
