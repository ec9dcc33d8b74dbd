import { ValidationError } from '#core/errors.ts';

/** How a stage passes: a minimum cosine, exact equality, or a minimum PSNR (8-bit images). */
export type StageCriterion =
  | { readonly kind: 'cosine'; readonly min: number }
  | { readonly kind: 'exact' }
  | { readonly kind: 'psnr'; readonly minDb: number };

/**
 * Default pass criteria per trace stage. The reference runs in bfloat16 on the GPU, the bundle in
 * float32 or float16 through ONNX Runtime, so only integer stages can match exactly; the float
 * stages are compared by cosine (reference §7.3: validate with tolerances, not bit-exactness).
 */
export const DEFAULT_STAGE_THRESHOLDS = {
  // Host preprocessing (smart_resize, bicubic, normalize, patchify) on the same decoded pixels:
  // only resampler rounding may differ, so it must agree almost perfectly.
  vlm_pixel_values: { kind: 'cosine', min: 0.9999 },
  // Tokenization is deterministic: any difference is a template or tokenizer bug.
  input_ids: { kind: 'exact' },
  // The grid of the image tokens follows from smart_resize alone.
  vlm_grid_thw: { kind: 'exact' },
  // Network outputs in bf16 (reference) versus fp32/fp16 (bundle): 1 % slack in direction.
  image_embeds: { kind: 'cosine', min: 0.99 },
  deepstack: { kind: 'cosine', min: 0.99 },
  // Reference §7.3 names cosine > 0.999 for meta_hidden; the connector output that conditions
  // every DiT step, and the constant null conditioning, are held to the same bar.
  meta_hidden: { kind: 'cosine', min: 0.999 },
  cond: { kind: 'cosine', min: 0.999 },
  hid_null: { kind: 'cosine', min: 0.999 },
  image_latent: { kind: 'cosine', min: 0.99 },
  // The pipeline reads the injected noise from the trace: it must arrive unchanged.
  initial_noise: { kind: 'exact' },
  noise_pred_step0: { kind: 'cosine', min: 0.99 },
  // After 20 steps small per-step differences accumulate; 0.99 still catches a wrong sigma, a
  // swapped CFG branch or a dropped DeepStack, which move the latent far more.
  final_latent: { kind: 'cosine', min: 0.99 },
  decoded: { kind: 'cosine', min: 0.99 },
  // Final PNG after crop and LANCZOS restore: 30 dB is where 8-bit outputs stop showing visible
  // differences, while a different edit falls well below it.
  output_image: { kind: 'psnr', minDb: 30 },
} as const satisfies Readonly<Record<string, StageCriterion>>;

/** The default criterion of `stage`. */
export function thresholdFor(stage: string): StageCriterion {
  if (!Object.hasOwn(DEFAULT_STAGE_THRESHOLDS, stage)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a parity stage with a pass criterion (${Object.keys(DEFAULT_STAGE_THRESHOLDS).join(', ')}) but received ${JSON.stringify(stage)}`,
      { details: { stage } },
    );
  }
  return DEFAULT_STAGE_THRESHOLDS[stage as keyof typeof DEFAULT_STAGE_THRESHOLDS];
}

/** `cosine ≥ 0.999`, `exact`, `PSNR ≥ 30 dB`. */
export function describeCriterion(criterion: StageCriterion): string {
  switch (criterion.kind) {
    case 'cosine':
      return `cosine ≥ ${criterion.min}`;
    case 'exact':
      return 'exact';
    case 'psnr':
      return `PSNR ≥ ${criterion.minDb} dB`;
  }
}
