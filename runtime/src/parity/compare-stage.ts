import { ValidationError } from '#core/errors.ts';
import { cosineSimilarity, maxAbsError, meanAbsError, type NumericArray, psnr } from './metrics.ts';
import { type StageCriterion, thresholdFor } from './thresholds.ts';

/** The verdict on one stage, as `vibe verify` reports it. */
export interface StageComparison {
  readonly stage: string;
  readonly cosine: number;
  readonly maxAbs: number;
  readonly meanAbs: number;
  /** Only for a PSNR criterion; null otherwise. */
  readonly psnr: number | null;
  readonly pass: boolean;
  readonly threshold: StageCriterion;
  /** Why the stage failed when the numbers cannot say it (a length mismatch); null otherwise. */
  readonly detail: string | null;
}

/**
 * Compares the pipeline's tensor of `stage` with the reference one under the stage's criterion
 * (the default from thresholds.ts unless `threshold` is given). Metrics run in float64. A length
 * mismatch is a failed stage, not an exception, so that `vibe verify` reports every stage.
 *
 * @throws ValidationError when the stage has no criterion, or a PSNR criterion gets non-uint8 data.
 */
export function compareStage(
  stage: string,
  expected: NumericArray,
  actual: NumericArray,
  threshold: StageCriterion = thresholdFor(stage),
): StageComparison {
  if (expected.length !== actual.length) {
    return {
      stage,
      cosine: Number.NaN,
      maxAbs: Number.NaN,
      meanAbs: Number.NaN,
      psnr: null,
      pass: false,
      threshold,
      detail: `expected ${expected.length} values but the pipeline produced ${actual.length}`,
    };
  }
  const cosine = cosineSimilarity(expected, actual);
  const maxAbs = maxAbsError(expected, actual);
  const meanAbs = meanAbsError(expected, actual);
  let psnrDb: number | null = null;
  let pass: boolean;
  switch (threshold.kind) {
    case 'cosine':
      pass = cosine >= threshold.min;
      break;
    case 'exact':
      pass = maxAbs === 0;
      break;
    case 'psnr':
      if (!(expected instanceof Uint8Array) || !(actual instanceof Uint8Array)) {
        throw new ValidationError(
          'INVALID_ARGUMENT',
          `Expected 8-bit image data (Uint8Array) for the PSNR criterion of ${stage}`,
          { details: { stage } },
        );
      }
      psnrDb = psnr(expected, actual);
      pass = psnrDb >= threshold.minDb;
      break;
  }
  return { stage, cosine, maxAbs, meanAbs, psnr: psnrDb, pass, threshold, detail: null };
}
