import { describe, expect, it } from 'vitest';
import {
  combineGuidance,
  type GuidanceRequest,
  resolveGuidance,
} from '#runtime/pipeline/denoise/guidance.ts';

const f = Math.fround;

function request(overrides: Partial<GuidanceRequest>): GuidanceRequest {
  return {
    guidanceScale: 4.5,
    imageGuidanceScale: 1.2,
    textToImage: false,
    cfgDistilled: false,
    ...overrides,
  };
}

describe('resolveGuidance', () => {
  // Upstream: do_cfg = g > 1; do_img = g_img >= 1, used only inside do_cfg (Appendix rule 6).
  it.each([
    // g, g_img, mode, batch
    [4.5, 1.2, 'full', 3],
    [4.5, 1.0, 'full', 3],
    [4.5, 0.99, 'text', 2],
    [4.5, 0, 'text', 2],
    [1.01, 1.0, 'full', 3],
    [1.0, 1.2, 'none', 1],
    [1.0, 1.0, 'none', 1],
    [0.99, 1.2, 'none', 1],
    [0.99, 0.99, 'none', 1],
    [0, 0, 'none', 1],
    [0, 5, 'none', 1],
  ] as const)('edit with g = %s and g_img = %s runs %s with batch %i', (g, gImg, mode, batch) => {
    const resolved = resolveGuidance(request({ guidanceScale: g, imageGuidanceScale: gImg }));

    expect(resolved).toMatchObject({ mode, batch, guidanceScale: g, imageGuidanceScale: gImg });
  });

  it('notes that image guidance has no effect when text guidance is off', () => {
    expect(
      resolveGuidance(request({ guidanceScale: 1, imageGuidanceScale: 1.2 })).notes,
    ).toHaveLength(1);
    expect(resolveGuidance(request({ guidanceScale: 1, imageGuidanceScale: 0.5 })).notes).toEqual(
      [],
    );
    expect(resolveGuidance(request({})).notes).toEqual([]);
  });

  it.each([
    [4.5, 1.2, 'text', 2, 1],
    [4.5, 0, 'text', 2, 0],
    [1.0, 1.2, 'none', 1, 1],
    [0.99, 0, 'none', 1, 0],
  ] as const)(
    'text-to-image with g = %s, g_img = %s forces g_img to 0 and runs %s (batch %i)',
    (g, gImg, mode, batch, notes) => {
      const resolved = resolveGuidance(
        request({ guidanceScale: g, imageGuidanceScale: gImg, textToImage: true }),
      );

      expect(resolved).toMatchObject({ mode, batch, guidanceScale: g, imageGuidanceScale: 0 });
      expect(resolved.notes).toHaveLength(notes);
    },
  );

  it('runs a CFG-distilled bundle without guidance, ignoring the requested scales with a note', () => {
    const ignored = resolveGuidance(request({ cfgDistilled: true }));
    expect(ignored).toMatchObject({
      mode: 'none',
      batch: 1,
      guidanceScale: 0,
      imageGuidanceScale: 0,
    });
    expect(ignored.notes).toHaveLength(1);
    expect(ignored.notes[0]).toContain('4.5');

    const asUpstream = resolveGuidance(
      request({ cfgDistilled: true, guidanceScale: 0, imageGuidanceScale: 0, textToImage: true }),
    );
    expect(asUpstream).toMatchObject({ mode: 'none', batch: 1, notes: [] });
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY, -0.01])('refuses the scale %s', (bad) => {
    expect(() => resolveGuidance(request({ guidanceScale: bad }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', name: 'ValidationError' }),
    );
    expect(() => resolveGuidance(request({ imageGuidanceScale: bad }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('combineGuidance', () => {
  it('combines full guidance as u + g·(c − i) + g_img·(i − u)', () => {
    // Rows in batch order: c (conditional), i (image only), u (unconditional).
    const c = [1, 0.5, -2];
    const i = [0.5, 0.25, 1];
    const u = [0.25, 0, 0.5];
    const pred = Float32Array.from([...c, ...i, ...u]);

    const out = combineGuidance('full', pred, 4.5, 1.2, new Float32Array(3));

    // By hand: 0.25 + 4.5·0.5 + 1.2·0.25 = 2.8; 0 + 4.5·0.25 + 1.2·0.25 = 1.425;
    // 0.5 + 4.5·(−3) + 1.2·0.5 = −12.4.
    expect(out[0]).toBeCloseTo(2.8, 6);
    expect(out[1]).toBeCloseTo(1.425, 6);
    expect(out[2]).toBeCloseTo(-12.4, 5);
    // And exactly the float32 sequence of torch ops, with the scales rounded to float32.
    const g = f(4.5);
    const gi = f(1.2);
    for (let k = 0; k < 3; k++) {
      const ck = c[k] as number;
      const ik = i[k] as number;
      const uk = u[k] as number;
      expect(out[k]).toBe(f(f(uk + f(g * f(ck - ik))) + f(gi * f(ik - uk))));
    }
  });

  it('combines text guidance as u + g·(c − u)', () => {
    const pred = Float32Array.from([1, -1, 3, /* u */ 0.5, 0.5, -1]);

    const out = combineGuidance('text', pred, 4.5, 1.2);

    // 0.5 + 4.5·0.5 = 2.75; 0.5 + 4.5·(−1.5) = −6.25; −1 + 4.5·4 = 17.
    expect(Array.from(out)).toEqual([2.75, -6.25, 17]);
  });

  it('rounds through float32 like torch (g = 1.1 is not exact in float32)', () => {
    const pred = Float32Array.from([0.1, 0.3]);
    const out = combineGuidance('text', pred, 1.1, 0);
    const expected = f(f(0.3) + f(f(1.1) * f(f(0.1) - f(0.3))));
    expect(out[0]).toBe(expected);
  });

  it('passes the single row through in none mode', () => {
    const pred = Float32Array.from([1, 2, 3]);
    expect(combineGuidance('none', pred, 0, 0)).toBe(pred);
    const out = new Float32Array(3);
    expect(combineGuidance('none', pred, 4.5, 1.2, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });

  it('refuses predictions that do not split into the batch rows, or a wrong out length', () => {
    expect(() => combineGuidance('full', new Float32Array(4), 4.5, 1.2)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      combineGuidance('text', new Float32Array(4), 4.5, 1.2, new Float32Array(4)),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => combineGuidance('text', new Float32Array(0), 4.5, 1.2)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
