import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodedToRgb, toVaeInput } from '#runtime/pipeline/image/vae-pixels.ts';

const NUMPY_DIR = new URL('../../fixtures/images/numpy/', import.meta.url);
function float32File(name: string): Float32Array {
  const bytes = readFileSync(new URL(name, NUMPY_DIR));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

describe('toVaeInput', () => {
  it('maps every uint8 value exactly as numpy float32 x / 255 · 2 − 1 does', () => {
    const expected = float32File('vae-input-lut.f32');
    const rgb = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) rgb.fill(v, v * 3, v * 3 + 3);
    const chw = toVaeInput(rgb, 256, 1);
    for (let c = 0; c < 3; c++) expect(chw.subarray(c * 256, (c + 1) * 256)).toEqual(expected);
    expect(chw[0]).toBe(-1);
    expect(chw[255]).toBe(1);
  });

  it('writes planes in CHW order', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0]); // red, green (2×1)
    expect([...toVaeInput(rgb, 2, 1)]).toEqual([1, -1, -1, 1, -1, -1]);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => toVaeInput(new Uint8Array(5), 2, 1)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('decodedToRgb', () => {
  it('matches numpy’s float32 clip, × 255 and round-half-even on sweeps and rounding midpoints', () => {
    const decoded = float32File('decoded.f32');
    const expected = new Uint8Array(readFileSync(new URL('decoded-to-rgb.u8', NUMPY_DIR)));
    const n = decoded.length;
    // One channel plane of length n, the other two zero: only channel 0 is compared.
    const chw = new Float32Array(3 * n);
    chw.set(decoded, 0);
    const rgb = decodedToRgb(chw, n, 1);
    const red = Uint8Array.from({ length: n }, (_, i) => rgb[i * 3] as number);
    expect(Buffer.from(red).equals(Buffer.from(expected))).toBe(true);
    expect(rgb[1]).toBe(128); // x = 0 → 0.5 · 255 = 127.5 → 128 (even)
  });

  it('rounds exact float32 ties to even: 100.5 → 100, 101.5 → 102', () => {
    // These inputs make float32(float32(x·0.5 + 0.5) · 255) exactly 100.5 and 101.5.
    const chw = Float32Array.from([-0.21176466345787048, -0.20392152667045593, 0]);
    const rgb = decodedToRgb(Float32Array.from([...chw, ...chw, ...chw]), 3, 1);
    expect([rgb[0], rgb[3], rgb[6]]).toEqual([100, 102, 128]);
  });

  it('clamps out-of-range values and turns NaN into 0', () => {
    const chw = Float32Array.from([-1.5, 1.5, Number.NaN]);
    expect([...decodedToRgb(Float32Array.from([...chw, ...chw, ...chw]), 3, 1)]).toEqual([
      0, 0, 0, 255, 255, 255, 0, 0, 0,
    ]);
  });
});
