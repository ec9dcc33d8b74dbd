import { ValidationError } from '#core/errors.ts';
import type { ScratchBuffers } from '../scratch-buffers.ts';

/**
 * uint8 → [−1, 1] in float32 with diffusers' operation order (`VaeImageProcessor.pil_to_numpy`:
 * `x / 255.0` in float32, then `normalize`: `2.0 * x − 1.0` in float32).
 */
const VAE_INPUT_LUT: Float32Array = (() => {
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = 2 * Math.fround(v / 255) - 1;
  return lut;
})();

function checkLength(
  length: number,
  expected: number,
  what: string,
  width: number,
  height: number,
) {
  if (length !== expected) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected ${expected} ${what} for a ${width}×${height} image but received ${length}`,
    );
  }
}

/**
 * HWC RGB uint8 → CHW float32 in [−1, 1], the VAE encoder's input (reference §2.6), through a
 * 256-entry table so the 2048² case stays a single pass over memory.
 */
export function toVaeInput(
  rgb: Uint8Array,
  width: number,
  height: number,
  scratch?: ScratchBuffers,
): Float32Array {
  const n = width * height;
  checkLength(rgb.length, n * 3, 'RGB bytes', width, height);
  const out = scratch?.float32('vae_input', 3 * n) ?? new Float32Array(3 * n);
  const lut = VAE_INPUT_LUT;
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    out[i] = lut[rgb[s] as number] as number;
    out[n + i] = lut[rgb[s + 1] as number] as number;
    out[2 * n + i] = lut[rgb[s + 2] as number] as number;
  }
  return out;
}

/**
 * CHW float32 decoder output in [−1, 1] → HWC RGB uint8, as diffusers' `postprocess` does it:
 * `(x · 0.5 + 0.5).clamp(0, 1)`, `× 255`, numpy's round-half-to-even, each step in float32. NaN
 * becomes 0. (Upstream runs the first step in the VAE's bf16, which rounds to 8 mantissa bits;
 * this follows the float32 path.)
 */
export function decodedToRgb(chw: Float32Array, width: number, height: number): Uint8Array {
  const n = width * height;
  checkLength(chw.length, n * 3, 'float samples', width, height);
  // Uint8ClampedArray stores with ToUint8Clamp: clamps to [0, 255], NaN → 0, and rounds half to
  // even, which is exactly numpy's `.round().astype(uint8)` after the clamp to [0, 1].
  const out = new Uint8ClampedArray(n * 3);
  const f32 = Math.fround;
  for (let c = 0; c < 3; c++) {
    const plane = c * n;
    for (let i = 0, o = c; i < n; i++, o += 3) {
      // x·0.5 is exact and the float64 sum rounds to the float32 sum (53 ≥ 2·24 + 2); y > 1 or
      // y < 0 map to 255 or 0 either way, so the clamp is left to the store.
      out[o] = f32(f32((chw[plane + i] as number) * 0.5 + 0.5) * 255);
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
