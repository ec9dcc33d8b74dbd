/**
 * The Box–Muller transform from two 32-bit words to two standard normal samples, written with
 * float64 +, −, ×, ÷ and `Math.sqrt` only.
 *
 * `Math.log`, `Math.cos` and `Math.sin` are "implementation-approximated" in ECMAScript: V8 ships its
 * own fdlibm port today, but nothing promises the same bits across engines or V8 versions. The IEEE
 * 754 basic operations and the square root are correctly rounded everywhere and JavaScript never
 * fuses or widens them, so this fixed sequence of operations gives the same bits on every machine
 * and every Node version. Accuracy is about 1e-16 relative, far below the float32 output's ulp.
 */

const LN2 = Math.LN2;
const QUARTER_PI = Math.PI / 4;
const TWO_POW_M29 = 1 / 536870912;
const OCTANT_MASK = 0x1fffffff;
const SQRT2 = Math.SQRT2;
/** 2^−e for e = −1 … 31, built by exact halvings (no `Math.pow`). */
const INVERSE_POWERS_OF_TWO = Float64Array.from({ length: 33 }, (_, i) => {
  let v = 2;
  for (let j = 0; j < i; j++) v *= 0.5;
  return v;
});

/** (−1)^j / (2j + offset)! for j = 0 … 9: the Taylor coefficients of sin (offset 1) and cos (0). */
function factorialCoefficients(offset: number): Float64Array {
  const coeffs = new Float64Array(10);
  let factorial = 1;
  let n = 1;
  for (let j = 0; j < 10; j++) {
    const power = 2 * j + offset;
    while (n < power) {
      n++;
      factorial *= n;
    }
    coeffs[j] = (j % 2 === 0 ? 1 : -1) / (power === 0 ? 1 : factorial);
  }
  return coeffs;
}

const SIN_COEFFS = factorialCoefficients(1);
const COS_COEFFS = factorialCoefficients(0);
const scratch = new Float64Array(2);

/**
 * ln((k + 0.5)·2⁻³²) for an unsigned 32-bit k: the logarithm of a uniform in (0, 1) that is never 0.
 */
export function logUniform(k: number): number {
  // (k + 0.5) = r·2^e with r in [1, 2), from the integer's bit length; scaling by powers of 2 is exact.
  let e = k === 0 ? -1 : 31 - Math.clz32(k);
  let r = (k + 0.5) * (INVERSE_POWERS_OF_TWO[e + 1] as number);
  if (r > SQRT2) {
    r *= 0.5;
    e++;
  }
  // ln r = 2·atanh(s), s = (r − 1)/(r + 1), |s| ≤ 0.172: the series to s²¹ is below 1e-17.
  const s = (r - 1) / (r + 1);
  const s2 = s * s;
  let sum = 1 / 21;
  for (let d = 19; d >= 1; d -= 2) sum = sum * s2 + 1 / d;
  return 2 * s * sum + (e - 32) * LN2;
}

/** sin φ and cos φ for φ in [0, π/4], by their Taylor series (the first omitted term < 1e-19). */
function sinCosSmall(phi: number, out: Float64Array): void {
  const p2 = phi * phi;
  let sin = 0;
  let cos = 0;
  for (let j = SIN_COEFFS.length - 1; j >= 0; j--) {
    sin = sin * p2 + (SIN_COEFFS[j] as number);
    cos = cos * p2 + (COS_COEFFS[j] as number);
  }
  out[0] = sin * phi;
  out[1] = cos;
}

/**
 * Writes two independent standard normal samples from the words `a` (radius) and `b` (angle) to
 * `out[offset]` and `out[offset + 1]` (as float32): r·cos θ and r·sin θ with r = √(−2 ln u₁),
 * u₁ = (a + 0.5)·2⁻³² and θ = 2π·b·2⁻³².
 */
export function boxMullerPair(a: number, b: number, out: Float32Array, offset: number): void {
  const radius = Math.sqrt(-2 * logUniform(a));
  // Reduce the angle exactly in integers: octant j = top 3 bits, the rest a fraction of π/4. Odd
  // octants use the complement from the next multiple of π/4 so that the series stays in [0, π/4].
  const octant = b >>> 29;
  const rest = b & OCTANT_MASK;
  const odd = (octant & 1) === 1;
  sinCosSmall((odd ? 536870912 - rest : rest) * TWO_POW_M29 * QUARTER_PI, scratch);
  const s = scratch[0] as number;
  const c = scratch[1] as number;
  let cos: number;
  let sin: number;
  switch (octant) {
    case 0:
      cos = c;
      sin = s;
      break;
    case 1:
      cos = s;
      sin = c;
      break;
    case 2:
      cos = -s;
      sin = c;
      break;
    case 3:
      cos = -c;
      sin = s;
      break;
    case 4:
      cos = -c;
      sin = -s;
      break;
    case 5:
      cos = -s;
      sin = -c;
      break;
    case 6:
      cos = s;
      sin = -c;
      break;
    default:
      cos = c;
      sin = -s;
      break;
  }
  out[offset] = radius * cos;
  out[offset + 1] = radius * sin;
}
