import { describe, expect, it } from 'vitest';
import { FlowDpmSolver } from '#runtime/pipeline/denoise/dpm-solver.ts';
import { type FlowSchedule, flowSchedule } from '#runtime/pipeline/denoise/flow-schedule.ts';
import { gaussianNoise } from '#runtime/pipeline/denoise/seeded-noise.ts';

const VIBE = { flowShift: 3, numTrainTimesteps: 1000 } as const;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Runs the whole schedule with `model(x, σ, k)` giving v, returning every step's sample. */
function runSolver(
  schedule: FlowSchedule,
  start: Float32Array,
  model: (x: Float32Array, k: number) => Float32Array,
  order: 1 | 2 = 2,
): Float32Array[] {
  const solver = new FlowDpmSolver(schedule, { order });
  let x: Float32Array = start.slice();
  const trajectory: Float32Array[] = [];
  for (let k = 0; k < solver.steps; k++) {
    x = solver.step(k, model(x, k), x, new Float32Array(x.length));
    trajectory.push(x);
  }
  return trajectory;
}

/**
 * DPM-Solver++ 2M for flow prediction in plain float64, written from the formulas of reference
 * §4.4 (no float32 rounding, separate from the implementation under test).
 */
function float64Trajectory(
  sigmas: ArrayLike<number>,
  start: number[],
  model: (x: number[], k: number) => number[],
): number[][] {
  const steps = sigmas.length - 1;
  const lambda = (s: number) => Math.log(1 - s) - Math.log(s);
  let x = start;
  let previousX0: number[] = [];
  const out: number[][] = [];
  for (let k = 0; k < steps; k++) {
    const sS = sigmas[k] as number;
    const sT = sigmas[k + 1] as number;
    const v = model(x, k);
    const x0 = x.map((xi, i) => xi - sS * (v[i] as number));
    if (sT === 0) {
      x = x0;
    } else {
      const h = lambda(sT) - lambda(sS);
      const phi = (1 - sT) * (Math.exp(-h) - 1);
      if (k === 0) {
        x = x.map((xi, i) => (sT / sS) * xi - phi * (x0[i] as number));
      } else {
        const r0 = (lambda(sS) - lambda(sigmas[k - 1] as number)) / h;
        x = x.map((xi, i) => {
          const d1 = ((x0[i] as number) - (previousX0[i] as number)) / r0;
          return (sT / sS) * xi - phi * (x0[i] as number) - 0.5 * phi * d1;
        });
      }
    }
    previousX0 = x0;
    out.push(x);
  }
  return out;
}

describe('FlowDpmSolver', () => {
  it.each([1, 2, 3, 20, 50])('recovers x0* from the exact flow velocity in %i steps', (steps) => {
    // On the straight path x = (1 − σ)·x0* + σ·ε the exact velocity is v = ε − x0*, and every
    // DPM-Solver++ update stays on the path, so the last step returns x0*.
    const n = 4096;
    const x0Star = gaussianNoise(1, n);
    const eps = gaussianNoise(2, n);
    const schedule = flowSchedule(steps, VIBE);
    const sigma0 = schedule.sigmas[0] as number;
    const start = x0Star.map((x0, i) => (1 - sigma0) * x0 + sigma0 * (eps[i] as number));
    const velocity = eps.map((e, i) => e - (x0Star[i] as number));

    const trajectory = runSolver(schedule, start, () => velocity);

    const result = trajectory[steps - 1] as Float32Array;
    expect(maxAbsDiff(result, x0Star)).toBeLessThan(2e-6);
    // Intermediate samples stay on the path as well.
    trajectory.slice(0, -1).forEach((x, k) => {
      const s = schedule.sigmas[k + 1] as number;
      const onPath = x0Star.map((x0, i) => (1 - s) * x0 + s * (eps[i] as number));
      expect(maxAbsDiff(x, onPath)).toBeLessThan(2e-6);
    });
  });

  it('follows an independent float64 implementation over 3 steps on a non-linear model', () => {
    const schedule = flowSchedule(3, VIBE);
    const start = [1.5, -0.75, 0.3, 2.25, -1.8, 0.05, -2.9, 0.8];
    const c = [0.2, -0.4, 1.1, 0, -0.9, 0.6, 0.3, -1.2];
    const model64 = (x: number[], k: number) =>
      x.map((xi, i) => Math.tanh(xi) * (1 + k) - (c[i] as number));
    const model32 = (x: Float32Array, k: number) =>
      Float32Array.from(x, (xi, i) => Math.tanh(xi) * (1 + k) - (c[i] as number));

    const expected = float64Trajectory(schedule.sigmas, start, model64);
    const got = runSolver(schedule, Float32Array.from(start), model32);

    for (let k = 0; k < 3; k++) {
      expect(maxAbsDiff(got[k] as Float32Array, expected[k] as number[]), `step ${k}`).toBeLessThan(
        1e-6,
      );
    }
    // Pinned: the same float64 formulas evaluated in Python (math.log/exp/tanh), 7 decimals.
    const pinned = [
      [1.3992405, -0.7163993, 0.4155543, 2.1102487, -1.7933118, 0.1285961, -2.7151041, 0.5336456],
      [0.970662, -0.4861271, 0.4820252, 1.5832597, -1.5111015, 0.2112116, -2.0998678, -0.0349086],
      [-0.2567918, 0.0855764, 0.3359576, -0.0701442, -0.4189157, 0.1965938, -0.1742247, -0.6917041],
    ];
    pinned.forEach((row, k) => {
      expect(maxAbsDiff(expected[k] as number[], row), `float64 step ${k}`).toBeLessThan(1e-7);
      expect(maxAbsDiff(got[k] as Float32Array, row), `solver step ${k}`).toBeLessThan(1e-6);
    });
  });

  it('matches a numpy float32 replica of diffusers 0.33.1 step bit for bit (3 and 20 steps)', () => {
    // Replica: every torch op as a numpy float32 op, log/exp rounded from float64, model
    // v = 0.5·x − c in float32. Values are float32 bit patterns.
    const start = Float32Array.from([1.5, -0.75, 0.3, 2.25, -1.8, 0.05]);
    const c = Float32Array.from([0.2, -0.4, 1.1, 0, -0.9, 0.6]);
    const model = (x: Float32Array) =>
      Float32Array.from(x, (xi, i) => Math.fround(0.5 * xi) - (c[i] as number));
    const bits = (x: Float32Array) => Array.from(new Uint32Array(x.slice().buffer));

    const three = runSolver(flowSchedule(3, VIBE), start, model);
    expect(bits(three[0] as Float32Array)).toEqual([
      0x3fb5f0c2, 0xbf40ea1d, 0x3edf1a2e, 0x4005b63b, 0xbfe66666, 0x3e075596,
    ]);
    expect(bits(three[1] as Float32Array)).toEqual([
      0x3fa54688, 0xbf426df5, 0x3f291ef9, 0x3fe95616, 0xbfe66666, 0x3e895b62,
    ]);
    expect(bits(three[2] as Float32Array)).toEqual([
      0x3f8312ca, 0xbf4589ef, 0x3f8fa30a, 0x3fa3609e, 0xbfe66666, 0x3f0c3126,
    ]);

    const twenty = runSolver(flowSchedule(20, VIBE), start, model);
    expect(bits(twenty[1] as Float32Array)).toEqual([
      0x3fbd7f47, 0xbf403a3e, 0x3eaae463, 0x400d70b9, 0xbfe66664, 0x3d9043e1,
    ]);
    expect(bits(twenty[18] as Float32Array)).toEqual([
      0x3f8ecb9c, 0xbf44791c, 0x3f76c79f, 0x3fbb5aac, 0xbfe66668, 0x3ee75d6f,
    ]);
    expect(bits(twenty[19] as Float32Array)).toEqual([
      0x3f888e4f, 0xbf450a52, 0x3f862ac9, 0x3fae9776, 0xbfe66668, 0x3f00ba87,
    ]);
  });

  it('differs between second and first order on a non-linear model, from the second step on', () => {
    const schedule = flowSchedule(10, VIBE);
    const start = gaussianNoise(3, 256);
    const model = (x: Float32Array, k: number) =>
      Float32Array.from(x, (xi) => Math.sin(2 * xi) + 0.1 * k * xi * xi);

    const second = runSolver(schedule, start, model, 2);
    const first = runSolver(schedule, start, model, 1);

    expect(maxAbsDiff(second[0] as Float32Array, first[0] as Float32Array)).toBe(0);
    expect(maxAbsDiff(second[1] as Float32Array, first[1] as Float32Array)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(second[9] as Float32Array, first[9] as Float32Array)).toBeGreaterThan(1e-2);
  });

  it('returns x0 = x − σ·v exactly at the last step and for a single step', () => {
    const x = Float32Array.from([0.7, -1.3, 2.1]);
    const v = Float32Array.from([0.25, 0.5, -1.75]);
    const sigma = Math.fround(0.9996664442961973);
    const expected = Array.from(x, (xi, i) =>
      Math.fround(xi - Math.fround(sigma * (v[i] as number))),
    );

    const solver = new FlowDpmSolver(flowSchedule(1, VIBE));
    expect(Array.from(solver.step(0, v, x))).toEqual(expected);
    expect(solver.stepsTaken).toBe(1);
  });

  it('writes in place when out is the sample and reuses its own buffer without out', () => {
    const schedule = flowSchedule(5, VIBE);
    const start = gaussianNoise(4, 64);
    const model = (x: Float32Array) => Float32Array.from(x, (xi) => Math.cos(xi));
    const reference = runSolver(schedule, start, model);

    const inPlace = new FlowDpmSolver(schedule);
    const x = start.slice();
    for (let k = 0; k < 5; k++) expect(inPlace.step(k, model(x), x, x)).toBe(x);
    expect(Array.from(x)).toEqual(Array.from(reference[4] as Float32Array));

    const owned = new FlowDpmSolver(schedule);
    let sample: Float32Array = start.slice();
    const buffers = new Set<Float32Array>();
    for (let k = 0; k < 5; k++) {
      sample = owned.step(k, model(sample), sample);
      buffers.add(sample);
    }
    expect(buffers.size).toBe(1);
    expect(Array.from(sample)).toEqual(Array.from(reference[4] as Float32Array));
  });

  it('refuses steps out of order, past the end, or with mismatched lengths', () => {
    const solver = new FlowDpmSolver(flowSchedule(2, VIBE));
    const x = new Float32Array(4);
    expect(() => solver.step(1, x, x)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    solver.step(0, x, x);
    expect(() => solver.step(1, new Float32Array(3), x)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => solver.step(1, x, new Float32Array(5))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => solver.step(1, x, x, new Float32Array(2))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    solver.step(1, x, x);
    expect(() => solver.step(2, x, x)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('refuses a schedule that does not end in 0 or has a sigma outside (0, 1)', () => {
    const timesteps = new Int32Array(2);
    expect(
      () => new FlowDpmSolver({ sigmas: Float32Array.from([0.9, 0.5, 0.1]), timesteps }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new FlowDpmSolver({ sigmas: Float32Array.from([1, 0.5, 0]), timesteps })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new FlowDpmSolver({ sigmas: Float32Array.from([0]), timesteps })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
