/**
 * The VAE `scaling_factor` (0.41407 for DC-AE f32c32) applied on the host, reference §2.6 and §2.8:
 * the encoder's latent is multiplied by it, the decoder's input divided by it. Both are one float32
 * operation per element with the factor rounded to float32, as torch does with a Python float, and
 * a float64 multiply or divide of float32 values rounded once to float32 is exactly that operation.
 */

import { ValidationError } from '#core/errors.ts';

function prepare(
  latent: Float32Array,
  scalingFactor: number,
  out: Float32Array | undefined,
): Float32Array {
  if (!Number.isFinite(scalingFactor) || scalingFactor <= 0) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a finite VAE scaling factor greater than 0 but received ${scalingFactor}`,
      { details: { field: 'scalingFactor', received: scalingFactor } },
    );
  }
  if (out !== undefined && out.length !== latent.length) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "out" to have the latent length ${latent.length} but received ${out.length}`,
      { details: { field: 'out', expected: latent.length, received: out.length } },
    );
  }
  return out ?? latent;
}

/**
 * Encoder side: latent × scalingFactor. Writes into `out`, or in place into `latent` without it.
 * @returns the scaled latent.
 */
export function scaleLatent(
  latent: Float32Array,
  scalingFactor: number,
  out?: Float32Array,
): Float32Array {
  const target = prepare(latent, scalingFactor, out);
  const factor = Math.fround(scalingFactor);
  for (let i = 0; i < latent.length; i++) target[i] = (latent[i] as number) * factor;
  return target;
}

/**
 * Decoder side: latent ÷ scalingFactor (a division, like upstream, not a multiplication by the
 * reciprocal). Writes into `out`, or in place into `latent` without it.
 * @returns the unscaled latent.
 */
export function unscaleLatent(
  latent: Float32Array,
  scalingFactor: number,
  out?: Float32Array,
): Float32Array {
  const target = prepare(latent, scalingFactor, out);
  const factor = Math.fround(scalingFactor);
  for (let i = 0; i < latent.length; i++) target[i] = (latent[i] as number) / factor;
  return target;
}
