import { describe, expect, it } from 'vitest';
import {
  interpolatePositionEmbedding,
  torchLinspaceFloat32,
} from '#runtime/pipeline/image/vision-position-embedding.ts';

describe('torchLinspaceFloat32', () => {
  it('computes the second half from the end, like PyTorch’s CPU kernel', () => {
    // Values from numpy float32 arithmetic in the kernel's order. The third value, 47 − step,
    // differs from the naive float32(2 · 47 / 3) = 31.33333396911621.
    expect([...torchLinspaceFloat32(0, 47, 4)]).toEqual([
      0, 15.666666984558105, 31.333332061767578, 47,
    ]);
    expect(Math.fround((2 * 47) / 3)).toBe(31.33333396911621);
    expect([...torchLinspaceFloat32(0, 47, 6)]).toEqual([
      0, 9.399999618530273, 18.799999237060547, 28.200000762939453, 37.599998474121094, 47,
    ]);
  });

  it('is exact on the integers when the table side matches the grid', () => {
    expect([...torchLinspaceFloat32(0, 47, 48)]).toEqual(Array.from({ length: 48 }, (_, i) => i));
  });

  it('returns start for a single step', () => {
    expect([...torchLinspaceFloat32(0, 47, 1)]).toEqual([0]);
  });
});

describe('interpolatePositionEmbedding', () => {
  // 4×6 grid, merge 2: merge-window order visits (0,0) (0,1) (1,0) (1,1) (0,2) (0,3) (1,2) (1,3) …
  const { posIdx, posW } = interpolatePositionEmbedding(4, 6, 2);
  const n = 24;
  const corners = (p: number) => [0, 1, 2, 3].map((k) => posIdx[k * n + p]);
  const weights = (p: number) => [0, 1, 2, 3].map((k) => posW[k * n + p]);

  it('has 4 × numPatches indices and weights', () => {
    expect(posIdx.length).toBe(96);
    expect(posW.length).toBe(96);
  });

  it('pins the corners and float32 weights of a 4×6 grid (numpy float32 reference)', () => {
    // patch (row 0, col 0)
    expect(corners(0)).toEqual([0, 1, 48, 49]);
    expect(weights(0)).toEqual([1, 0, 0, 0]);
    // patch (row 0, col 1): w = 9.4 → floor 9, dw = 0.3999996
    expect(corners(1)).toEqual([9, 10, 57, 58]);
    expect(weights(1)).toEqual([0.6000003814697266, 0.39999961853027344, 0, 0]);
    // patch (row 1, col 1): h = 15.666667 → 15·48 = 720
    expect(corners(3)).toEqual([729, 730, 777, 778]);
    expect(weights(3)).toEqual([
      0.19999994337558746, 0.13333307206630707, 0.4000004529953003, 0.2666665315628052,
    ]);
    // patch (row 1, col 2) is the 7th in merge-window order
    expect(corners(6)).toEqual([738, 739, 786, 787]);
    expect(weights(6)).toEqual([
      0.0666668564081192, 0.26666614413261414, 0.13333390653133392, 0.5333330631256104,
    ]);
    // last patch (row 3, col 5): both at 47, ceil clipped to 47
    expect(corners(23)).toEqual([2303, 2303, 2303, 2303]);
    expect(weights(23)).toEqual([1, 0, 0, 0]);
  });

  it('gives weights that sum to 1 for every patch', () => {
    const grid = interpolatePositionEmbedding(42, 42, 2);
    for (let p = 0; p < 1764; p++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += grid.posW[k * 1764 + p] as number;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
    }
  });
});
