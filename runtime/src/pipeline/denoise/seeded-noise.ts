/**
 * The initial latent noise: standard normal samples that are the same for a seed on every machine,
 * every run and every Node version.
 *
 * Upstream draws the noise in bf16 from a CUDA generator, which TypeScript cannot reproduce, so a
 * given seed gives a different image here than upstream; parity tests inject upstream's noise instead
 * (see {@link validateInjectedNoise}). Our own guarantee is determinism: Philox4x32-10 (pure 32-bit
 * integer math) keyed by the seed, with block i (counter (i, 0, 0, 0)) giving samples 4i … 4i + 3
 * through a Box–Muller transform built from correctly rounded float64 operations only.
 */

import { describeValue, ValidationError } from '#core/errors.ts';
import { boxMullerPair } from './box-muller.ts';
import { philox4x32 } from './philox.ts';

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/** A bound on one noise tensor (2^28 samples = 1 GiB of float32), far above any latent. */
const MAX_COUNT = 2 ** 28;

/**
 * Returns `count` standard normal float32 samples for `seed`. Sample j depends only on the seed and
 * j, so a longer request starts with the same values as a shorter one.
 *
 * @throws ValidationError INVALID_ARGUMENT when `seed` is not an integer from 0 to 2^32 − 1 or
 *   `count` is not an integer from 0 to 2^28.
 */
export function gaussianNoise(seed: number, count: number): Float32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "seed" to be an integer from 0 to ${MAX_SEED} but received ${describeValue(seed)}`,
      { details: { field: 'seed', received: typeof seed === 'number' ? seed : String(seed) } },
    );
  }
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "count" to be an integer from 0 to ${MAX_COUNT} but received ${describeValue(count)}`,
      { details: { field: 'count', received: typeof count === 'number' ? count : String(count) } },
    );
  }
  const out = new Float32Array(count);
  const counter = new Uint32Array(4);
  const words = new Uint32Array(4);
  const pair = new Float32Array(2);
  for (let block = 0, j = 0; j < count; block++, j += 4) {
    counter[0] = block;
    philox4x32(counter, seed, 0, words);
    if (j + 4 <= count) {
      boxMullerPair(words[0] as number, words[1] as number, out, j);
      boxMullerPair(words[2] as number, words[3] as number, out, j + 2);
    } else {
      // The tail block: compute all four, keep what fits.
      for (let p = 0; p < 2 && j + 2 * p < count; p++) {
        boxMullerPair(words[2 * p] as number, words[2 * p + 1] as number, pair, 0);
        out[j + 2 * p] = pair[0] as number;
        if (j + 2 * p + 1 < count) out[j + 2 * p + 1] = pair[1] as number;
      }
    }
  }
  return out;
}

/**
 * Checks noise supplied by a caller (parity runs inject upstream's noise): a Float32Array of exactly
 * the latent length with finite values only.
 *
 * @returns the same array, for chaining.
 * @throws ValidationError INVALID_ARGUMENT otherwise.
 */
export function validateInjectedNoise(noise: unknown, expectedLength: number): Float32Array {
  if (!(noise instanceof Float32Array)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected injected noise as a Float32Array of length ${expectedLength} but received ${describeValue(noise)}`,
      { details: { field: 'noise', expected: expectedLength } },
    );
  }
  if (noise.length !== expectedLength) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected injected noise of length ${expectedLength} (32·h·w) but received ${noise.length}`,
      { details: { field: 'noise', expected: expectedLength, received: noise.length } },
    );
  }
  for (let i = 0; i < noise.length; i++) {
    if (!Number.isFinite(noise[i])) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected finite injected noise but element ${i} is ${noise[i]}`,
        { details: { field: 'noise', index: i, received: String(noise[i]) } },
      );
    }
  }
  return noise;
}
