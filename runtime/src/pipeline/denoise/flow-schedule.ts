/**
 * The flow-matching sigma schedule of diffusers 0.33.1 `DPMSolverMultistepScheduler.set_timesteps`
 * with `use_flow_sigmas=True` (reference §4.2), ported operation by operation in float64 so that the
 * integer timesteps and the float32 sigmas match upstream exactly (Appendix rule 2).
 */

import { describeValue, ValidationError } from '#core/errors.ts';

/**
 * The largest accepted step count.
 *
 * Upstream breaks above 500 steps with shift 3: from 501 steps on the first two timesteps truncate
 * to the same integer (999), and `index_for_timestep` then starts the loop at the second sigma. 100 is
 * far beyond the useful range (VIBE uses 20) and bounds the job time (each step is a DiT call).
 */
export const MAX_STEPS = 100;

export interface FlowScheduleOptions {
  /** Shift s of σ' = s·σ / (1 + (s − 1)·σ); 3.0 for VIBE (scheduler `flow_shift`). */
  readonly flowShift: number;
  /** Scheduler `num_train_timesteps`; 1000 for VIBE. */
  readonly numTrainTimesteps: number;
}

export interface FlowSchedule {
  /** steps + 1 float32 sigmas, decreasing, the last exactly 0. The solver uses these. */
  readonly sigmas: Float32Array;
  /** steps integer timesteps, trunc(σ·N) of the float64 sigmas. The DiT receives these. */
  readonly timesteps: Int32Array;
}

function invalid(field: string, expected: string, value: unknown): ValidationError {
  return new ValidationError(
    'INVALID_ARGUMENT',
    `Expected "${field}" to be ${expected} but received ${describeValue(value)}`,
    { details: { field, expected, received: typeof value === 'number' ? value : String(value) } },
  );
}

/**
 * numpy.linspace(start, stop, num) with endpoint=True, as numpy 1.x/2.x computes it in float64:
 * y[i] = i·step + start with step = (stop − start)/(num − 1), and the last element set to `stop`.
 * The non-zero-step branch only; callers never pass start = stop.
 */
function linspace(start: number, stop: number, num: number): Float64Array {
  const y = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) y[i] = i * step + start;
  y[num - 1] = stop;
  return y;
}

/**
 * Computes the sigmas and integer timesteps for `steps` denoising steps.
 *
 * α = linspace(1, 1/N, steps + 1), σ = 1 − α, σ' = s·σ / (1 + (s − 1)·σ), flipped, with the last
 * element (σ = 0) dropped; timesteps = trunc(σ'·N) from the float64 values (truncating the float32
 * sigma gives other integers for some step counts and shifts); then the sigmas are stored as float32
 * with a final 0.
 *
 * @throws ValidationError INVALID_ARGUMENT when `steps` is not an integer from 1 to {@link MAX_STEPS},
 *   `flowShift` is not a finite number > 0, or `numTrainTimesteps` is not an integer ≥ 2.
 */
export function flowSchedule(steps: number, options: FlowScheduleOptions): FlowSchedule {
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) {
    throw invalid('steps', `an integer from 1 to ${MAX_STEPS}`, steps);
  }
  const { flowShift: s, numTrainTimesteps: n } = options;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
    throw invalid('flowShift', 'a finite number greater than 0', s);
  }
  if (!Number.isInteger(n) || n < 2) {
    throw invalid('numTrainTimesteps', 'an integer of at least 2', n);
  }

  const alphas = linspace(1, 1 / n, steps + 1);
  const sigmas = new Float32Array(steps + 1);
  const timesteps = new Int32Array(steps);
  for (let k = 0; k < steps; k++) {
    // flip(...)[:-1]: position k of the result is element steps − k of the unflipped array.
    const sigma = 1 - (alphas[steps - k] as number);
    const shifted = (s * sigma) / (1 + (s - 1) * sigma);
    timesteps[k] = Math.trunc(shifted * n);
    sigmas[k] = shifted;
  }
  sigmas[steps] = 0;
  return { sigmas, timesteps };
}
