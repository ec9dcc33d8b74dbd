/**
 * Host side of Qwen3-VL's learned position embedding (transformers 4.57
 * `Qwen3VLVisionModel.fast_pos_embed_interpolate`): the 48×48 table is bilinearly interpolated to
 * the patch grid. The graph gathers four table rows per patch and sums them with these weights;
 * this module computes the indices and weights exactly as upstream does in float32 (reference
 * Appendix rule 7), already permuted into merge-window order.
 */

const f32 = Math.fround;

/**
 * `torch.linspace(start, end, steps)` in float32 as PyTorch's CPU kernel computes it
 * (`RangeFactoriesKernel.cpp`, serial since vectorisation was removed): `step = (end − start) /
 * (steps − 1)` in float32, the first half as `start + step·i` and the second half as
 * `end − step·(steps − 1 − i)`, every operation rounded to float32.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

export interface PositionInterpolation {
  /** `4 × numPatches` row-major: corner k of patch p at `k · numPatches + p`. */
  readonly posIdx: Int32Array;
  /** `4 × numPatches` float32 bilinear weights, same layout. */
  readonly posW: Float32Array;
}

/**
 * Indices into the `side × side` position table and bilinear weights for a `gridH × gridW` patch
 * grid, rows in merge-window order `(h / m, w / m, m, m)`. Corners are (floor, floor), (floor, ceil),
 * (ceil, floor), (ceil, ceil) with `floor = int(linspace)` (truncation), `ceil = min(floor + 1,
 * side − 1)` and weights `(1−dh)(1−dw), (1−dh)dw, dh(1−dw), dh·dw` in float32. Upstream casts the
 * weights to the embedding dtype (bf16) before use; the graph does that cast.
 */
export function interpolatePositionEmbedding(
  gridH: number,
  gridW: number,
  mergeSize: number,
  side = 48,
): PositionInterpolation {
  const hIdx = torchLinspaceFloat32(0, side - 1, gridH);
  const wIdx = torchLinspaceFloat32(0, side - 1, gridW);
  const hFloor = new Int32Array(gridH);
  const hCeil = new Int32Array(gridH);
  const dh = new Float32Array(gridH);
  for (let r = 0; r < gridH; r++) {
    const v = hIdx[r] as number;
    const fl = Math.trunc(v);
    hFloor[r] = fl;
    hCeil[r] = Math.min(fl + 1, side - 1);
    dh[r] = v - fl;
  }
  const wFloor = new Int32Array(gridW);
  const wCeil = new Int32Array(gridW);
  const dw = new Float32Array(gridW);
  for (let c = 0; c < gridW; c++) {
    const v = wIdx[c] as number;
    const fl = Math.trunc(v);
    wFloor[c] = fl;
    wCeil[c] = Math.min(fl + 1, side - 1);
    dw[c] = v - fl;
  }

  const n = gridH * gridW;
  const posIdx = new Int32Array(4 * n);
  const posW = new Float32Array(4 * n);
  let p = 0;
  for (let bh = 0; bh < gridH / mergeSize; bh++) {
    for (let bw = 0; bw < gridW / mergeSize; bw++) {
      for (let my = 0; my < mergeSize; my++) {
        const r = bh * mergeSize + my;
        const h0 = (hFloor[r] as number) * side;
        const h1 = (hCeil[r] as number) * side;
        const wh = dh[r] as number;
        const oneMinusH = f32(1 - wh);
        for (let mx = 0; mx < mergeSize; mx++, p++) {
          const c = bw * mergeSize + mx;
          const w0 = wFloor[c] as number;
          const w1 = wCeil[c] as number;
          const ww = dw[c] as number;
          const oneMinusW = f32(1 - ww);
          posIdx[p] = h0 + w0;
          posIdx[n + p] = h0 + w1;
          posIdx[2 * n + p] = h1 + w0;
          posIdx[3 * n + p] = h1 + w1;
          posW[p] = oneMinusH * oneMinusW;
          posW[n + p] = oneMinusH * ww;
          posW[2 * n + p] = wh * oneMinusW;
          posW[3 * n + p] = wh * ww;
        }
      }
    }
  }
  return { posIdx, posW };
}
