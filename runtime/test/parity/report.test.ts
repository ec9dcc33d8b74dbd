import { describe, expect, it } from 'vitest';
import { compareStage } from '#runtime/parity/compare-stage.ts';
import { formatParityReport, summarizeParity } from '#runtime/parity/report.ts';

describe('formatParityReport', () => {
  const results = [
    compareStage('input_ids', new Int32Array([1, 2, 3]), new Int32Array([1, 2, 3])),
    compareStage('meta_hidden', [1, 0], [1, 1]),
    compareStage('image_embeds', new Float32Array(4), new Float32Array(3)),
    compareStage('output_image', new Uint8Array([0, 0, 0, 0]), new Uint8Array([10, 0, 0, 0])),
  ];

  it('prints one aligned row per stage with the criterion and the verdict', () => {
    const lines = formatParityReport(results).split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'stage         criterion       cosine    max abs   mean abs  PSNR      result',
      '------------  --------------  --------  --------  --------  --------  ------',
      'input_ids     exact           1.000000  0.000e+0  0.000e+0  -         pass',
      'meta_hidden   cosine ≥ 0.999  0.707107  1.000e+0  5.000e-1  -         FAIL',
      'image_embeds  cosine ≥ 0.99   NaN       NaN       NaN       -         FAIL',
      // All-zero reference against a non-zero output: cosine 0, judged by PSNR alone.
      'output_image  PSNR ≥ 30 dB    0.000000  1.000e+1  2.500e+0  34.15 dB  pass',
    ]);
  });

  it('adds failure details and a closing summary naming the failing stages', () => {
    const text = formatParityReport(results);
    expect(text).toContain('\nimage_embeds: expected 4 values but the pipeline produced 3\n');
    expect(
      text.endsWith('Parity: 2 of 4 stages within tolerance; failing: meta_hidden, image_embeds'),
    ).toBe(true);
    expect(summarizeParity(results)).toEqual({ total: 4, passed: 2, failed: 2 });
  });

  it('prints inf for identical images', () => {
    const identical = compareStage('output_image', new Uint8Array([5, 6]), new Uint8Array([5, 6]));
    expect(formatParityReport([identical])).toContain('inf');
    expect(formatParityReport([identical]).endsWith('Parity: 1 of 1 stages within tolerance')).toBe(
      true,
    );
  });
});
