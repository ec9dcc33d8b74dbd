/**
 * Test helper: the float64 sigmas of diffusers' flow schedule, written from the numpy/diffusers
 * source independently of runtime/src (numpy.linspace computes i·step + start and sets the last
 * element to stop; diffusers shifts, flips and drops the last element).
 */
export function referenceSigmas64(steps: number, shift: number, trainTimesteps: number): number[] {
  const num = steps + 1;
  const start = 1;
  const stop = 1 / trainTimesteps;
  const step = (stop - start) / (num - 1);
  const alphas: number[] = [];
  for (let i = 0; i < num; i++) alphas.push(i * step + start);
  alphas[num - 1] = stop;
  const shifted = alphas.map((alpha) => {
    const sigma = 1 - alpha;
    return (shift * sigma) / (1 + (shift - 1) * sigma);
  });
  return shifted.reverse().slice(0, steps);
}

export interface TruncationDisagreement {
  readonly steps: number;
  readonly shift: number;
  readonly index: number;
  /** trunc(σ·N) with the float64 σ: what upstream feeds the DiT. */
  readonly fromFloat64: number;
  /** trunc(σ·N) with σ rounded to float32 first: the wrong port. */
  readonly fromFloat32: number;
}

/** Every (steps, shift, index) in the given ranges where the two truncations disagree. */
export function findTruncationDisagreements(
  maxSteps: number,
  shifts: readonly number[],
  trainTimesteps: number,
): TruncationDisagreement[] {
  const found: TruncationDisagreement[] = [];
  for (const shift of shifts) {
    for (let steps = 1; steps <= maxSteps; steps++) {
      referenceSigmas64(steps, shift, trainTimesteps).forEach((sigma, index) => {
        const fromFloat64 = Math.trunc(sigma * trainTimesteps);
        const fromFloat32 = Math.trunc(Math.fround(sigma) * trainTimesteps);
        if (fromFloat64 !== fromFloat32)
          found.push({ steps, shift, index, fromFloat64, fromFloat32 });
      });
    }
  }
  return found;
}
