import { describe, expect, it } from 'vitest';
import { flowSchedule, MAX_STEPS } from '#runtime/pipeline/denoise/flow-schedule.ts';
import { findTruncationDisagreements, referenceSigmas64 } from './schedule-reference.ts';

const VIBE = { flowShift: 3, numTrainTimesteps: 1000 } as const;

/** reference §4.3, n = 20. */
const REFERENCE_SIGMAS_20 = [
  0.99967, 0.98242, 0.96394, 0.94409, 0.92272, 0.89964, 0.87464, 0.84746, 0.81781, 0.78534, 0.74962,
  0.71015, 0.6663, 0.61728, 0.56215, 0.49967, 0.42827, 0.34589, 0.24979, 0.13624, 0,
];
const REFERENCE_TIMESTEPS_20 = [
  999, 982, 963, 944, 922, 899, 874, 847, 817, 785, 749, 710, 666, 617, 562, 499, 428, 345, 249,
  136,
];
/** numpy 2.4 running diffusers 0.33.1's set_timesteps arithmetic, then `.astype(np.float32)`. */
const NUMPY_FLOAT32_SIGMAS_20 = [
  0.9996664524078369, 0.982419490814209, 0.9639410972595215, 0.9440944194793701, 0.9227216839790344,
  0.8996397852897644, 0.8746352195739746, 0.847457230091095, 0.8178097009658813, 0.7853399515151978,
  0.7496247887611389, 0.7101521492004395, 0.666296124458313, 0.6172835826873779, 0.5621483325958252,
  0.4996665418148041, 0.42826521396636963, 0.34588751196861267, 0.24979163706302643,
  0.1362396627664566, 0,
];

function significant5(x: number): number {
  return Number(x.toPrecision(5));
}

describe('flowSchedule', () => {
  it('gives the reference 20-step timesteps exactly and sigmas to 5 significant digits', () => {
    const { sigmas, timesteps } = flowSchedule(20, VIBE);

    expect(Array.from(timesteps)).toEqual(REFERENCE_TIMESTEPS_20);
    expect(Array.from(sigmas, significant5)).toEqual(REFERENCE_SIGMAS_20);
  });

  it('stores exactly the float32 sigmas numpy produces, ending in 0', () => {
    const { sigmas } = flowSchedule(20, VIBE);

    expect(sigmas).toBeInstanceOf(Float32Array);
    expect(Array.from(sigmas)).toEqual(NUMPY_FLOAT32_SIGMAS_20);
  });

  it('gives one step from σ = 0.99967 (t = 999) straight to 0', () => {
    const { sigmas, timesteps } = flowSchedule(1, VIBE);

    expect(Array.from(timesteps)).toEqual([999]);
    expect(Array.from(sigmas)).toEqual([Math.fround(0.9996664442961973), 0]);
  });

  it('matches numpy for 2, 3, 50 and 100 steps', () => {
    expect(Array.from(flowSchedule(2, VIBE).timesteps)).toEqual([999, 749]);
    expect(Array.from(flowSchedule(3, VIBE).timesteps)).toEqual([999, 856, 599]);
    expect(Array.from(flowSchedule(3, VIBE).sigmas)).toEqual([
      0.9996664524078369, 0.8567752838134766, 0.5996398329734802, 0,
    ]);
    expect(Array.from(flowSchedule(50, VIBE).timesteps.slice(0, 5))).toEqual([
      999, 992, 985, 978, 971,
    ]);
    expect(Array.from(flowSchedule(100, VIBE).timesteps.slice(0, 5))).toEqual([
      999, 996, 992, 989, 985,
    ]);
  });

  it('truncates the float64 sigmas, not the float32 ones (Appendix rule 2)', () => {
    // Search where the two truncations disagree; with shift 3 none do up to 100 steps, with no shift
    // (s = 1) many do, e.g. 3 steps: σ = 0.33299999999999996 → 332, float32 0.333 → 333.
    const disagreements = findTruncationDisagreements(MAX_STEPS, [1, 3], 1000);
    expect(disagreements.filter((d) => d.shift === 3)).toEqual([]);
    expect(disagreements.length).toBeGreaterThan(20);
    expect(disagreements).toContainEqual({
      steps: 3,
      shift: 1,
      index: 2,
      fromFloat64: 332,
      fromFloat32: 333,
    });

    for (const d of disagreements) {
      const { timesteps } = flowSchedule(d.steps, { flowShift: d.shift, numTrainTimesteps: 1000 });
      expect(timesteps[d.index], `steps ${d.steps} index ${d.index}`).toBe(d.fromFloat64);
    }
    // numpy: (sigmas * 1000).astype(int64) for 3 steps, shift 1.
    expect(
      Array.from(flowSchedule(3, { flowShift: 1, numTrainTimesteps: 1000 }).timesteps),
    ).toEqual([999, 666, 332]);
  });

  it('agrees with the independent float64 reference for every step count and several shifts', () => {
    for (const shift of [1, 2.5, 3, 6]) {
      for (let steps = 1; steps <= MAX_STEPS; steps++) {
        const expected = referenceSigmas64(steps, shift, 1000);
        const { sigmas, timesteps } = flowSchedule(steps, {
          flowShift: shift,
          numTrainTimesteps: 1000,
        });
        expect(Array.from(timesteps)).toEqual(expected.map((s) => Math.trunc(s * 1000)));
        expect(Array.from(sigmas)).toEqual([...expected.map(Math.fround), 0]);
      }
    }
  });

  it('keeps timesteps strictly decreasing up to MAX_STEPS (upstream repeats 999 from 501 steps)', () => {
    expect(MAX_STEPS).toBe(100);
    for (let steps = 2; steps <= MAX_STEPS; steps++) {
      const { timesteps } = flowSchedule(steps, VIBE);
      for (let k = 1; k < steps; k++) expect(timesteps[k]).toBeLessThan(timesteps[k - 1] as number);
    }
    const at501 = referenceSigmas64(501, 3, 1000).map((s) => Math.trunc(s * 1000));
    expect(at501.slice(0, 2)).toEqual([999, 999]);
  });

  it.each([0, -1, 2.5, MAX_STEPS + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %s steps with INVALID_ARGUMENT',
    (steps) => {
      expect(() => flowSchedule(steps, VIBE)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', name: 'ValidationError' }),
      );
    },
  );

  it('refuses a non-positive or non-finite shift and fewer than 2 train timesteps', () => {
    for (const flowShift of [0, -3, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => flowSchedule(20, { flowShift, numTrainTimesteps: 1000 })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    for (const numTrainTimesteps of [1, 0, 999.5]) {
      expect(() => flowSchedule(20, { flowShift: 3, numTrainTimesteps })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});
