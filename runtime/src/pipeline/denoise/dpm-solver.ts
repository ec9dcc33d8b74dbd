/**
 * DPM-Solver++ (2M, midpoint) for flow prediction, as diffusers 0.33.1 `DPMSolverMultistepScheduler`
 * runs it for VIBE: `algorithm_type="dpmsolver++"`, `solver_order=2`, `solver_type="midpoint"`,
 * `prediction_type="flow_prediction"`, `use_flow_sigmas=True`, `final_sigmas_type="zero"`
 * (reference §4.4, Appendix rule 3).
 *
 * Float32 throughout, like upstream: the sigmas are float32 tensors, so every scalar coefficient is a
 * chain of float32 operations (each rounded with `Math.fround` here), and the elementwise update is a
 * sequence of float32 tensor operations, each rounded here too. A float32 +, −, × or ÷ done in
 * float64 and rounded once equals the float32 operation exactly, so the elementwise results match
 * torch bit for bit given the same coefficients. `log` and `exp` are rounded from float64, which is
 * within one float32 ulp of torch's float32 kernels.
 */

import { ValidationError } from '#core/errors.ts';
import type { FlowSchedule } from './flow-schedule.ts';

const f = Math.fround;

type StepKind = 'first' | 'second' | 'final';

export interface FlowDpmSolverOptions {
  /** 2 (default) is upstream's midpoint multistep; 1 runs every step first order (DDIM-like). */
  readonly order?: 1 | 2;
}

/**
 * One denoising trajectory. Build one per job from its schedule and call {@link FlowDpmSolver.step}
 * once per step, in order. After the first step no call allocates.
 */
export class FlowDpmSolver {
  readonly steps: number;
  private readonly kinds: StepKind[] = [];
  /** σ_s of each step (float32), for x0 = x − σ_s·v. */
  private readonly sigma: Float64Array;
  /** σ_t/σ_s. */
  private readonly ratio: Float64Array;
  /** α_t·(e^{−h} − 1). */
  private readonly expCoeff: Float64Array;
  /** 0.5·α_t·(e^{−h} − 1), second-order steps only. */
  private readonly halfExpCoeff: Float64Array;
  /** 1/r₀ with r₀ = h₀/h, second-order steps only. */
  private readonly invR0: Float64Array;
  private taken = 0;
  private length = -1;
  private x0Current = new Float32Array(0);
  private x0Previous = new Float32Array(0);
  private ownOutput: Float32Array | undefined;

  constructor(schedule: FlowSchedule, options: FlowDpmSolverOptions = {}) {
    const order = options.order ?? 2;
    const { sigmas } = schedule;
    const steps = sigmas.length - 1;
    if (steps < 1 || sigmas[steps] !== 0) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected a schedule of at least 2 sigmas ending in 0 but received ${sigmas.length} ending in ${sigmas[steps]}`,
      );
    }
    for (let k = 0; k < steps; k++) {
      const s = sigmas[k] as number;
      if (!(s > 0 && s < 1)) {
        throw new ValidationError(
          'INVALID_ARGUMENT',
          `Expected every sigma before the last to be in (0, 1) but sigma ${k} is ${s}`,
          { details: { index: k, sigma: s } },
        );
      }
    }
    this.steps = steps;
    this.sigma = new Float64Array(steps);
    this.ratio = new Float64Array(steps);
    this.expCoeff = new Float64Array(steps);
    this.halfExpCoeff = new Float64Array(steps);
    this.invR0 = new Float64Array(steps);

    // λ = log α − log σ with α = 1 − σ, each a float32 operation as in `_sigma_to_alpha_sigma_t`.
    const lambda = (sigma: number): number => f(f(Math.log(f(1 - sigma))) - f(Math.log(sigma)));
    for (let k = 0; k < steps; k++) {
      const sigmaS = sigmas[k] as number;
      const sigmaT = sigmas[k + 1] as number;
      this.sigma[k] = sigmaS;
      if (sigmaT === 0) {
        // σ_t = 0 gives λ_t = +∞ and x_t = x0 exactly; never evaluate log(0).
        this.kinds.push('final');
        continue;
      }
      const alphaT = f(1 - sigmaT);
      const h = f(lambda(sigmaT) - lambda(sigmaS));
      const coeff = f(alphaT * f(f(Math.exp(-h)) - 1));
      this.ratio[k] = f(sigmaT / sigmaS);
      this.expCoeff[k] = coeff;
      if (order === 1 || k === 0) {
        this.kinds.push('first');
        continue;
      }
      const h0 = f(lambda(sigmaS) - lambda(sigmas[k - 1] as number));
      this.invR0[k] = f(1 / f(h0 / h));
      this.halfExpCoeff[k] = f(0.5 * coeff);
      this.kinds.push('second');
    }
  }

  /** How many steps have been taken; the index the next {@link step} call must pass. */
  get stepsTaken(): number {
    return this.taken;
  }

  /**
   * Advances the sample from σ_index to σ_{index+1}.
   *
   * @param index the step, 0-based; steps must be taken in order.
   * @param modelOutput the (guided) flow velocity v predicted at σ_index, float32.
   * @param sample the current sample x at σ_index.
   * @param out where to write the next sample; may be `sample` itself (updated in place). Without it
   *   the solver writes into one buffer it owns and returns that same buffer at every step.
   * @returns the sample at σ_{index+1}; after the last step, the predicted clean latent x0.
   */
  step(
    index: number,
    modelOutput: Float32Array,
    sample: Float32Array,
    out?: Float32Array,
  ): Float32Array {
    const kind = this.kinds[index];
    if (index !== this.taken || kind === undefined) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected step index ${this.taken} (steps run in order, ${this.steps} in all) but received ${index}`,
        { details: { expected: this.taken, received: index, steps: this.steps } },
      );
    }
    const n = sample.length;
    this.checkLengths(n, modelOutput, out);
    if (out === undefined && this.ownOutput === undefined) this.ownOutput = new Float32Array(n);
    const target = out ?? (this.ownOutput as Float32Array);

    const sigmaS = this.sigma[index] as number;
    if (kind === 'final') {
      for (let i = 0; i < n; i++) {
        target[i] = (sample[i] as number) - f(sigmaS * (modelOutput[i] as number));
      }
    } else if (kind === 'first') {
      this.firstOrder(index, n, modelOutput, sample, target);
    } else {
      this.secondOrder(index, n, modelOutput, sample, target);
    }
    this.taken++;
    return target;
  }

  private checkLengths(n: number, modelOutput: Float32Array, out: Float32Array | undefined): void {
    if (this.length === -1) {
      this.length = n;
      this.x0Current = new Float32Array(n);
      this.x0Previous = new Float32Array(n);
    }
    const mismatch =
      n !== this.length
        ? ['sample', n]
        : modelOutput.length !== n
          ? ['modelOutput', modelOutput.length]
          : out !== undefined && out.length !== n
            ? ['out', out.length]
            : undefined;
    if (mismatch !== undefined) {
      throw new ValidationError(
        'INVALID_ARGUMENT',
        `Expected "${mismatch[0]}" to have the latent length ${this.length} but received ${mismatch[1]}`,
        { details: { field: mismatch[0], expected: this.length, received: mismatch[1] } },
      );
    }
  }

  /** x' = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·x0. */
  private firstOrder(
    k: number,
    n: number,
    v: Float32Array,
    x: Float32Array,
    out: Float32Array,
  ): void {
    const sigmaS = this.sigma[k] as number;
    const ratio = this.ratio[k] as number;
    const coeff = this.expCoeff[k] as number;
    const x0s = this.x0Current;
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      const x0 = f(xi - f(sigmaS * (v[i] as number)));
      x0s[i] = x0;
      out[i] = f(ratio * xi) - f(coeff * x0);
    }
    this.rotate();
  }

  /** x' = (σ_t/σ_s)·x − α_t(e^{−h} − 1)·D0 − ½·α_t(e^{−h} − 1)·D1, D0 = x0ₖ, D1 = (x0ₖ − x0ₖ₋₁)/r₀. */
  private secondOrder(
    k: number,
    n: number,
    v: Float32Array,
    x: Float32Array,
    out: Float32Array,
  ): void {
    const sigmaS = this.sigma[k] as number;
    const ratio = this.ratio[k] as number;
    const coeff = this.expCoeff[k] as number;
    const half = this.halfExpCoeff[k] as number;
    const invR0 = this.invR0[k] as number;
    const x0s = this.x0Current;
    const prev = this.x0Previous;
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      const x0 = f(xi - f(sigmaS * (v[i] as number)));
      const d1 = f(invR0 * f(x0 - (prev[i] as number)));
      x0s[i] = x0;
      out[i] = f(f(ratio * xi) - f(coeff * x0)) - f(half * d1);
    }
    this.rotate();
  }

  private rotate(): void {
    const t = this.x0Previous;
    this.x0Previous = this.x0Current;
    this.x0Current = t;
  }
}
