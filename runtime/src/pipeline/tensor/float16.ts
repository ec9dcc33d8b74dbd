/**
 * IEEE 754 binary16 ⇄ binary32 conversion for ONNX float16 I/O.
 *
 * onnxruntime-node on Node 20 takes and returns float16 tensors as `Uint16Array` bit patterns (there
 * is no `Float16Array` global, platform-notes §1.3), so every fp16 bundle converts its graph inputs
 * and outputs on the host. These run on tensors of millions of elements, so both directions work on
 * integer bit patterns through `Uint32Array` views: no `Math` calls, no allocation besides the result
 * when the caller passes no `dst`.
 */

import { ValidationError } from '#core/errors.ts';

/** float32 bit patterns of all 65,536 half values, built on first use (256 KiB). */
let halfToFloatBits: Uint32Array | undefined;

function buildHalfToFloatTable(): Uint32Array {
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let bits: number;
    if (exponent === 0x1f) {
      // Inf and NaN: keep the payload so that a NaN round-trips bit for bit.
      bits = 0x7f800000 | (mantissa << 13);
    } else if (exponent !== 0) {
      bits = ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa === 0) {
      bits = 0;
    } else {
      // Subnormal half: normalise; every half subnormal is a normal float32.
      let m = mantissa;
      let e = 113;
      while ((m & 0x400) === 0) {
        m <<= 1;
        e--;
      }
      bits = (e << 23) | ((m & 0x3ff) << 13);
    }
    table[h] = (sign | bits) >>> 0;
  }
  return table;
}

function checkDestination(
  name: string,
  expectedLength: number,
  dst: { readonly length: number } | undefined,
): void {
  if (dst !== undefined && dst.length !== expectedLength) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected "${name}" to have length ${expectedLength} (the source length) but received ${dst.length}`,
      { details: { field: name, expected: expectedLength, received: dst.length } },
    );
  }
}

/**
 * Converts float32 values to float16 bit patterns, rounding to nearest with ties to even.
 *
 * Values at or above 65520 in magnitude (the midpoint between 65504, the largest half, and 65536)
 * become ±Infinity; values below the smallest normal half become half subnormals or ±0; NaN stays
 * NaN with the top 10 bits of its payload (a payload that would vanish becomes the quiet bit).
 *
 * @param src float32 values.
 * @param dst optional output of the same length; written in place and returned.
 */
export function float32ToFloat16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  checkDestination('dst', src.length, dst);
  const out = dst ?? new Uint16Array(src.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const n = bits.length;
  for (let i = 0; i < n; i++) {
    const x = bits[i] as number;
    const sign = (x >>> 16) & 0x8000;
    const a = x & 0x7fffffff;
    if (a >= 0x38800000) {
      if (a < 0x477ff000) {
        // Normal half: rebias the exponent; adding 0xfff plus the lowest kept bit rounds to
        // nearest even, and a carry out of the mantissa correctly bumps the exponent.
        const r = a - 0x38000000;
        out[i] = sign | ((r + 0xfff + ((r >>> 13) & 1)) >>> 13);
      } else if (a <= 0x7f800000) {
        out[i] = sign | 0x7c00;
      } else {
        const payload = (a >>> 13) & 0x3ff;
        out[i] = sign | 0x7c00 | (payload === 0 ? 0x200 : payload);
      }
    } else if (a >= 0x33000000) {
      // Half subnormal (or rounds up to the smallest normal): value = m · 2^(e − 150), and the
      // half unit is 2^−24, so the half mantissa is m >> (126 − e), rounded to nearest even.
      const e = a >>> 23;
      const m = (a & 0x7fffff) | 0x800000;
      const shift = 126 - e;
      const q = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      out[i] = sign | (rem > halfway || (rem === halfway && (q & 1) === 1) ? q + 1 : q);
    } else {
      // Below 2^−25: at most half of the smallest subnormal, so it rounds to zero (ties to even).
      out[i] = sign;
    }
  }
  return out;
}

/**
 * Converts float16 bit patterns to float32 values. Exact (every half is a float32); NaN payloads
 * are kept.
 *
 * @param src float16 bit patterns, as onnxruntime-node returns them.
 * @param dst optional output of the same length; written in place and returned.
 */
export function float16ToFloat32(src: Uint16Array, dst?: Float32Array): Float32Array {
  checkDestination('dst', src.length, dst);
  const out = dst ?? new Float32Array(src.length);
  halfToFloatBits ??= buildHalfToFloatTable();
  const table = halfToFloatBits;
  // Writing bit patterns through an integer view keeps NaN payloads that a float store may canonicalise.
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  const n = src.length;
  for (let i = 0; i < n; i++) {
    outBits[i] = table[src[i] as number] as number;
  }
  return out;
}
