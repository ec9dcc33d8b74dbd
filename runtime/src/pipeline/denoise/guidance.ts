/**
 * Classifier-free guidance as VIBE's `_run_denoising_loop` does it (reference §5, Appendix rule 6):
 * which DiT batch rows run, and how their predictions combine.
 */

import { describeValue, ValidationError } from '#core/errors.ts';
import { batchSizeOf, type GuidanceMode } from './guidance-mode.ts';

// The batch layout lives in its own file; re-exported so that guidance has one import path.
export { DitBatch, type DitBatchOptions, type ModelFloatArray } from './dit-batch.ts';
export { batchSizeOf, type GuidanceMode } from './guidance-mode.ts';

export interface GuidanceRequest {
  /** Text guidance scale g; guidance runs only when g > 1 (upstream `do_classifier_free_guidance`). */
  readonly guidanceScale: number;
  /** Image guidance scale g_img; runs only when g_img ≥ 1 and text guidance runs. */
  readonly imageGuidanceScale: number;
  /** No input image: the image latent is zeros and g_img is forced to 0, as upstream does. */
  readonly textToImage: boolean;
  /** The bundle is the CFG-distilled model, which runs without guidance. */
  readonly cfgDistilled: boolean;
}

export interface ResolvedGuidance {
  readonly mode: GuidanceMode;
  /** DiT batch size: 3, 2 or 1 rows. */
  readonly batch: 1 | 2 | 3;
  /** The scale the combination uses (0 for a distilled bundle). */
  readonly guidanceScale: number;
  /** The image scale the combination uses (0 for text-to-image and for a distilled bundle). */
  readonly imageGuidanceScale: number;
  /** Why a requested scale has no effect, for the job record and logs; empty when none. */
  readonly notes: readonly string[];
}

function checkScale(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${field}" to be a finite number of at least 0 but received ${describeValue(value)}`,
      { details: { field, received: typeof value === 'number' ? value : String(value) } },
    );
  }
  return value;
}

/**
 * Picks the guidance mode with upstream's comparisons exactly: text guidance when g > 1, image
 * guidance when g_img ≥ 1 and text guidance is on (with text guidance off no guidance branch runs,
 * whatever g_img says).
 *
 * A CFG-distilled bundle always runs `none` with both scales 0: the DistilledCFG README runs it with
 * `guidance_scale = image_guidance_scale = 0`, and the model was trained to produce the guided
 * prediction in one pass. A caller's scales are ignored there (not refused), with a note, so that
 * one request works against either bundle.
 *
 * @throws ValidationError INVALID_ARGUMENT when a scale is not a finite number ≥ 0.
 */
export function resolveGuidance(request: GuidanceRequest): ResolvedGuidance {
  const g = checkScale('guidanceScale', request.guidanceScale);
  const gImgRequested = checkScale('imageGuidanceScale', request.imageGuidanceScale);
  const notes: string[] = [];

  if (request.cfgDistilled) {
    if (g !== 0 || gImgRequested !== 0) {
      notes.push(
        `The CFG-distilled model runs without guidance; guidanceScale ${g} and imageGuidanceScale ${gImgRequested} were ignored`,
      );
    }
    return { mode: 'none', batch: 1, guidanceScale: 0, imageGuidanceScale: 0, notes };
  }

  let gImg = gImgRequested;
  if (request.textToImage && gImg !== 0) {
    notes.push(`Text-to-image has no input image; imageGuidanceScale ${gImg} was ignored`);
    gImg = 0;
  }
  const text = g > 1;
  const image = text && gImg >= 1;
  if (!text && gImg >= 1) {
    notes.push(
      `Image guidance runs only with text guidance (guidanceScale > 1); imageGuidanceScale ${gImg} has no effect with guidanceScale ${g}`,
    );
  }
  const mode: GuidanceMode = image ? 'full' : text ? 'text' : 'none';
  return { mode, batch: batchSizeOf(mode), guidanceScale: g, imageGuidanceScale: gImg, notes };
}

/**
 * Combines the DiT predictions of one step into the guided velocity, in float32 like upstream (the
 * network output is cast to fp32 first; each tensor operation rounds to float32, and the Python
 * float scales become float32 scalars):
 * - `full`: u + g·(c − i) + g_img·(i − u), rows c, i, u in batch order;
 * - `text`: u + g·(c − u), rows c, u;
 * - `none`: the single row as is.
 *
 * @param noisePred B×(32·h·w) float32 predictions, rows in batch order.
 * @param out optional (32·h·w) output; pass a preallocated buffer so that steps do not allocate. In
 *   `none` mode without `out`, `noisePred` itself is returned.
 */
export function combineGuidance(
  mode: GuidanceMode,
  noisePred: Float32Array,
  guidanceScale: number,
  imageGuidanceScale: number,
  out?: Float32Array,
): Float32Array {
  const rows = batchSizeOf(mode);
  const n = noisePred.length / rows;
  if (!Number.isInteger(n) || n === 0 || (out !== undefined && out.length !== n)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "noisePred" to hold ${rows} equal rows and "out" one row for mode "${mode}" but received lengths ${noisePred.length} and ${out?.length ?? 'none'}`,
      { details: { mode, noisePred: noisePred.length, out: out?.length } },
    );
  }
  if (mode === 'none') {
    if (out === undefined) return noisePred;
    out.set(noisePred);
    return out;
  }
  const target = out ?? new Float32Array(n);
  const f = Math.fround;
  const g = f(guidanceScale);
  if (mode === 'text') {
    for (let k = 0; k < n; k++) {
      const c = noisePred[k] as number;
      const u = noisePred[n + k] as number;
      target[k] = u + f(g * f(c - u));
    }
    return target;
  }
  const gImg = f(imageGuidanceScale);
  const n2 = 2 * n;
  for (let k = 0; k < n; k++) {
    const c = noisePred[k] as number;
    const i = noisePred[n + k] as number;
    const u = noisePred[n2 + k] as number;
    target[k] = f(u + f(g * f(c - i))) + f(gImg * f(i - u));
  }
  return target;
}
