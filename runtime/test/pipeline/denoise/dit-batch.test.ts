import { describe, expect, it } from 'vitest';
import { DitBatch, type DitBatchOptions } from '#runtime/pipeline/denoise/guidance.ts';
import { float16ToFloat32, float32ToFloat16 } from '#runtime/pipeline/tensor/float16.ts';

const H = 1;
const W = 2;
const N = 32 * H * W; // one latent
const CAPTION = 224 * 2304;

/** Distinct values, exact in float16 (multiples of 1/8 within ±128), so fp16 rows compare exactly. */
function ramp(length: number, offset: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => offset + ((i % 1000) - 500) / 8);
}

const image = ramp(N, 10);
const cond = ramp(CAPTION, 3);
const hidNull = ramp(CAPTION, -3);
const x = ramp(N, 0.5);

function build(overrides: Partial<DitBatchOptions>): DitBatch {
  return new DitBatch({
    mode: 'full',
    precision: 'float32',
    latentHeight: H,
    latentWidth: W,
    imageLatent: image,
    cond,
    hidNull,
    ...overrides,
  });
}

/** The hidden_states and encoder_hidden_states rows as float32 arrays. */
function rows(batch: DitBatch) {
  const hidden =
    batch.hiddenStates instanceof Uint16Array
      ? float16ToFloat32(batch.hiddenStates)
      : batch.hiddenStates;
  const encoder =
    batch.encoderHiddenStates instanceof Uint16Array
      ? float16ToFloat32(batch.encoderHiddenStates)
      : batch.encoderHiddenStates;
  return Array.from({ length: batch.batch }, (_, b) => ({
    latent: Array.from(hidden.subarray(b * 2 * N, b * 2 * N + N)),
    image: Array.from(hidden.subarray(b * 2 * N + N, (b + 1) * 2 * N)),
    caption: encoder.subarray(b * CAPTION, (b + 1) * CAPTION),
  }));
}

const zeros = Array.from({ length: N }, () => 0);

/** Index of the first differing element, −1 when equal (toEqual is slow on 516,096 elements). */
function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('DitBatch', () => {
  it.each(['float32', 'float16'] as const)(
    'lays out full guidance as [x⊕I, c], [x⊕I, ∅], [x⊕0, ∅] (%s)',
    (precision) => {
      const batch = build({ mode: 'full', precision });
      batch.setLatent(x);
      const [r0, r1, r2] = rows(batch);

      expect(batch.batch).toBe(3);
      expect(batch.hiddenStatesDims).toEqual([3, 64, H, W]);
      expect(batch.encoderHiddenStatesDims).toEqual([3, 224, 2304]);
      expect(batch.hiddenStates).toBeInstanceOf(
        precision === 'float16' ? Uint16Array : Float32Array,
      );
      for (const r of [r0, r1, r2]) expect(r?.latent).toEqual(Array.from(x));
      expect(r0?.image).toEqual(Array.from(image));
      expect(r1?.image).toEqual(Array.from(image));
      expect(r2?.image).toEqual(zeros);
      expect(firstMismatch(r0?.caption ?? [], cond)).toBe(-1);
      expect(firstMismatch(r1?.caption ?? [], hidNull)).toBe(-1);
      expect(firstMismatch(r2?.caption ?? [], hidNull)).toBe(-1);
    },
  );

  it('lays out text guidance as [x⊕I, c], [x⊕I, ∅]', () => {
    const batch = build({ mode: 'text' });
    batch.setLatent(x);
    const [r0, r1] = rows(batch);

    expect(batch.hiddenStates.length).toBe(2 * 2 * N);
    expect(r0?.image).toEqual(Array.from(image));
    expect(r1?.image).toEqual(Array.from(image));
    expect(firstMismatch(r0?.caption ?? [], cond)).toBe(-1);
    expect(firstMismatch(r1?.caption ?? [], hidNull)).toBe(-1);
    expect(r1?.latent).toEqual(Array.from(x));
  });

  it('lays out no guidance as [x⊕I, c] and ignores hidNull', () => {
    const batch = build({ mode: 'none', hidNull: new Float32Array(0) });
    batch.setLatent(x);
    const [r0] = rows(batch);

    expect(batch.size).toBe(1);
    expect(batch.hiddenStates.length).toBe(2 * N);
    expect(batch.encoderHiddenStates.length).toBe(CAPTION);
    expect(r0?.latent).toEqual(Array.from(x));
    expect(r0?.image).toEqual(Array.from(image));
    expect(firstMismatch(r0?.caption ?? [], cond)).toBe(-1);
  });

  it('uses zeros for the image channels of text-to-image', () => {
    const batch = build({ mode: 'text', imageLatent: null });
    batch.setLatent(x);
    for (const r of rows(batch)) expect(r.image).toEqual(zeros);
  });

  it('rewrites only the noisy-latent channels at each step, rounding to float16 in fp16 bundles', () => {
    const batch = build({ mode: 'full', precision: 'float16' });
    batch.setLatent(x);
    const next = Float32Array.from({ length: N }, (_, i) => 0.1 * i);
    batch.setLatent(next);
    const [r0, r1, r2] = rows(batch);

    const asHalf = Array.from(float16ToFloat32(float32ToFloat16(next)));
    expect(asHalf).not.toEqual(Array.from(next));
    for (const r of [r0, r1, r2]) expect(r?.latent).toEqual(asHalf);
    expect(r0?.image).toEqual(Array.from(image));
    expect(r2?.image).toEqual(zeros);
  });

  it('accepts float16 inputs as bits and converts float16 inputs for a float32 bundle', () => {
    const condBits = new Uint16Array(CAPTION).fill(0x3c00); // 1.0
    const fp16 = build({ mode: 'none', precision: 'float16', cond: condBits });
    expect(firstMismatch(fp16.encoderHiddenStates, condBits)).toBe(-1);
    const fp32 = build({ mode: 'none', precision: 'float32', cond: condBits });
    expect(Array.from(fp32.encoderHiddenStates.subarray(0, 3))).toEqual([1, 1, 1]);
  });

  it('gives the integer timestep times timestep_scale for every row, as float32', () => {
    const batch = build({ mode: 'full', timestepScale: 1.1 });
    const t = batch.timestep(999);
    expect(t).toBeInstanceOf(Float32Array);
    expect(Array.from(t)).toEqual([1, 2, 3].map(() => Math.fround(999 * Math.fround(1.1))));
    expect(batch.timestep(136)).toBe(t);
    expect(Array.from(build({ mode: 'text' }).timestep(982))).toEqual([982, 982]);
    expect(() => batch.timestep(981.5)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('exposes its buffers as graph feeds that stay the same objects across steps', () => {
    const batch = build({ mode: 'text', precision: 'float16' });
    const hidden = batch.hiddenStatesTensor();
    expect(hidden).toMatchObject({ dtype: 'float16', dims: [2, 64, H, W] });
    expect(hidden.data).toBe(batch.hiddenStates);
    batch.setLatent(x);
    expect(batch.hiddenStatesTensor()).toBe(hidden);
    expect(batch.encoderHiddenStatesTensor()).toMatchObject({
      dtype: 'float16',
      dims: [2, 224, 2304],
    });
  });

  it('refuses inputs of the wrong length', () => {
    expect(() => build({ cond: new Float32Array(10) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => build({ mode: 'text', hidNull: new Float32Array(10) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => build({ imageLatent: new Float32Array(N + 1) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => build({ latentHeight: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => build({}).setLatent(new Float32Array(N - 1))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
