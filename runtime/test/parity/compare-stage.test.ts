import { describe, expect, it } from 'vitest';
import { compareStage } from '#runtime/parity/compare-stage.ts';
import { describeCriterion, thresholdFor } from '#runtime/parity/thresholds.ts';

describe('thresholdFor', () => {
  it('gives the documented default per stage', () => {
    expect(thresholdFor('meta_hidden')).toEqual({ kind: 'cosine', min: 0.999 });
    expect(thresholdFor('cond')).toEqual({ kind: 'cosine', min: 0.999 });
    expect(thresholdFor('vlm_pixel_values')).toEqual({ kind: 'cosine', min: 0.9999 });
    for (const stage of [
      'image_embeds',
      'deepstack',
      'image_latent',
      'noise_pred_step0',
      'final_latent',
      'decoded',
    ]) {
      expect(thresholdFor(stage)).toEqual({ kind: 'cosine', min: 0.99 });
    }
    expect(thresholdFor('input_ids')).toEqual({ kind: 'exact' });
    expect(thresholdFor('output_image')).toEqual({ kind: 'psnr', minDb: 30 });
  });

  it('refuses a stage without a criterion', () => {
    expect(() => thresholdFor('latent_step7')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/received "latent_step7"/),
      }),
    );
  });

  it('describes criteria for the report', () => {
    expect(describeCriterion(thresholdFor('cond'))).toBe('cosine ≥ 0.999');
    expect(describeCriterion(thresholdFor('input_ids'))).toBe('exact');
    expect(describeCriterion(thresholdFor('output_image'))).toBe('PSNR ≥ 30 dB');
  });
});

describe('compareStage', () => {
  it('passes a cosine stage at the threshold and fails just below it', () => {
    // cos = 1/√2 for [1,0] vs [1,1]: pass just below it, fail just above.
    const passing = compareStage('meta_hidden', [1, 0], [1, 1], {
      kind: 'cosine',
      min: Math.SQRT1_2 - 1e-9,
    });
    const failing = compareStage('meta_hidden', [1, 0], [1, 1], {
      kind: 'cosine',
      min: Math.SQRT1_2 + 1e-9,
    });
    expect(passing).toMatchObject({
      stage: 'meta_hidden',
      pass: true,
      maxAbs: 1,
      meanAbs: 0.5,
      psnr: null,
      detail: null,
    });
    expect(passing.cosine).toBeCloseTo(Math.SQRT1_2, 15);
    expect(failing.pass).toBe(false);
  });

  it('applies the default 0.999 bar to cond', () => {
    const expected = new Float32Array([1, 2, 3, 4]);
    expect(compareStage('cond', expected, new Float32Array([1, 2, 3, 4.01])).pass).toBe(true);
    expect(compareStage('cond', expected, new Float32Array([1, 2, 3, 5])).pass).toBe(false);
  });

  it('requires exact equality for input_ids', () => {
    const ids = new Int32Array([151644, 872, 198, 151652]);
    expect(compareStage('input_ids', ids, ids.slice())).toMatchObject({
      pass: true,
      maxAbs: 0,
      cosine: 1,
    });
    expect(
      compareStage('input_ids', ids, new Int32Array([151644, 872, 198, 151653])),
    ).toMatchObject({
      pass: false,
      maxAbs: 1,
    });
  });

  it('judges the output image by PSNR', () => {
    const reference = new Uint8Array(300).fill(100);
    const close = reference.map((v, i) => (i % 10 === 0 ? v + 20 : v)); // MSE 40 → 32.11 dB
    const far = reference.map((v, i) => (i % 2 === 0 ? v + 40 : v)); // MSE 800 → 19.10 dB
    const near = compareStage('output_image', reference, close);
    expect(near.psnr).toBeCloseTo(10 * Math.log10(65025 / 40), 10);
    expect(near.pass).toBe(true);
    expect(compareStage('output_image', reference, far)).toMatchObject({ pass: false });
    expect(compareStage('output_image', reference, reference.slice()).psnr).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('refuses PSNR on data that is not 8-bit', () => {
    expect(() => compareStage('output_image', [1, 2, 3], [1, 2, 3])).toThrow(/Uint8Array/);
  });

  it('reports a length mismatch as a failed stage with a detail', () => {
    const result = compareStage('image_embeds', new Float32Array(8), new Float32Array(6));
    expect(result).toMatchObject({
      stage: 'image_embeds',
      pass: false,
      psnr: null,
      detail: 'expected 8 values but the pipeline produced 6',
    });
    expect(result.cosine).toBeNaN();
  });

  it('fails a stage whose output holds NaN', () => {
    expect(compareStage('decoded', [0.5, 0.25], [0.5, Number.NaN]).pass).toBe(false);
  });
});
