/**
 * The stages of a parity trace (format: the exporter's parity/trace.json, written by
 * runtime/exporter/vibe_export/parity_run.py), in pipeline order, with their dtypes.
 */

export type ParityDtype = 'float32' | 'int32' | 'uint8';

/** Stages every trace must carry. */
export const PARITY_STAGES = [
  'vlm_pixel_values',
  'input_ids',
  'image_embeds',
  'deepstack',
  'meta_hidden',
  'cond',
  'image_latent',
  'initial_noise',
  'noise_pred_step0',
  'final_latent',
  'decoded',
  'output_image',
] as const;

export type ParityStageName = (typeof PARITY_STAGES)[number];

/** Stages the exporter records beyond the required ones; a trace may omit them. */
export const OPTIONAL_PARITY_STAGES = ['hid_null', 'vlm_grid_thw'] as const;

export type OptionalParityStageName = (typeof OPTIONAL_PARITY_STAGES)[number];

export const PARITY_STAGE_DTYPES: Readonly<
  Record<ParityStageName | OptionalParityStageName, ParityDtype>
> = {
  vlm_pixel_values: 'float32',
  input_ids: 'int32',
  image_embeds: 'float32',
  deepstack: 'float32',
  meta_hidden: 'float32',
  cond: 'float32',
  image_latent: 'float32',
  initial_noise: 'float32',
  noise_pred_step0: 'float32',
  final_latent: 'float32',
  decoded: 'float32',
  output_image: 'uint8',
  hid_null: 'float32',
  vlm_grid_thw: 'int32',
};

/** File extension per dtype: raw little-endian `.f32`/`.i32`, and PNG for the output image. */
export const PARITY_FILE_EXTENSIONS: Readonly<Record<ParityDtype, string>> = {
  float32: '.f32',
  int32: '.i32',
  uint8: '.png',
};

export function isKnownParityStage(
  name: string,
): name is ParityStageName | OptionalParityStageName {
  return Object.hasOwn(PARITY_STAGE_DTYPES, name);
}
