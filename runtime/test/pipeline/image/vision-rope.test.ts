import { describe, expect, it } from 'vitest';
import {
  visionInverseFrequencies,
  visionRotaryCosSin,
} from '#runtime/pipeline/image/vision-rope.ts';

describe('visionInverseFrequencies', () => {
  it('matches numpy float32 1 / 10000^(arange(0, 32, 2) / 32) for head_dim 64', () => {
    // Four of these differ from float32(1 / 10000^(i/16)) computed in float64.
    expect([...visionInverseFrequencies(64, 10_000)]).toEqual([
      1.0, 0.5623413324356079, 0.3162277638912201, 0.17782793939113617, 0.10000000149011612,
      0.05623412877321243, 0.03162277862429619, 0.017782794311642647, 0.009999999776482582,
      0.005623413249850273, 0.003162277862429619, 0.0017782794311642647, 0.0010000000474974513,
      0.000562341301701963, 0.0003162277862429619, 0.00017782794020604342,
    ]);
  });
});

describe('visionRotaryCosSin', () => {
  const inv = visionInverseFrequencies(64, 10_000);
  const { cos, sin } = visionRotaryCosSin(4, 6, 2);

  it('has numPatches × 64 entries', () => {
    expect(cos.length).toBe(24 * 64);
    expect(sin.length).toBe(24 * 64);
  });

  it('lays out [row·f, col·f] twice per patch, in merge-window order', () => {
    // Merge-window position 5 is (row 0, col 3); position 3 is (row 1, col 1).
    for (const [p, row, col] of [
      [5, 0, 3],
      [3, 1, 1],
      [22, 3, 4],
    ] as const) {
      for (let i = 0; i < 16; i++) {
        const rowAngle = Math.fround(row * (inv[i] as number));
        const colAngle = Math.fround(col * (inv[i] as number));
        for (const offset of [0, 32]) {
          expect(cos[p * 64 + offset + i]).toBe(Math.fround(Math.cos(rowAngle)));
          expect(cos[p * 64 + offset + 16 + i]).toBe(Math.fround(Math.cos(colAngle)));
          expect(sin[p * 64 + offset + i]).toBe(Math.fround(Math.sin(rowAngle)));
          expect(sin[p * 64 + offset + 16 + i]).toBe(Math.fround(Math.sin(colAngle)));
        }
      }
    }
  });

  it('pins one value: patch (row 0, col 3), frequency 1 → cos(float32(3 · 0.56234133))', () => {
    // float32(3 · 0.5623413324356079) = 1.6870239973068237 (numpy float32)
    expect(cos[5 * 64 + 17]).toBeCloseTo(Math.cos(1.6870239973068237), 7);
    expect(sin[5 * 64 + 49]).toBeCloseTo(Math.sin(1.6870239973068237), 7);
  });
});
