/**
 * Qwen3-VL's 2-D rotary embedding for the vision tower (transformers 4.57
 * `Qwen3VLVisionRotaryEmbedding` and `Qwen3VLVisionModel.rot_pos_emb`), computed on the host:
 * `head_dim / 4` inverse frequencies per axis, each patch's (row, col) in merge-window order,
 * `[row·inv_freq, col·inv_freq]` duplicated to `head_dim`, then cos and sin, all in float32.
 */

const f32 = Math.fround;

/**
 * `1 / θ^(arange(0, d, 2) / d)` with `d = headDim / 2`, in float32 like upstream's buffer
 * (16 frequencies for head_dim 64). `pow` is evaluated in float64 and rounded, which can differ from
 * torch's float32 `pow` by one ulp.
 */
export function visionInverseFrequencies(headDim: number, theta: number): Float32Array {
  const dim = headDim / 2;
  const count = dim / 2;
  const inv = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const exponent = f32(f32(2 * i) / dim);
    inv[i] = f32(1 / f32(theta ** exponent));
  }
  return inv;
}

export interface VisionRotary {
  /** `numPatches × headDim`, float32. */
  readonly cos: Float32Array;
  readonly sin: Float32Array;
}

/**
 * cos and sin tables for a `gridH × gridW` patch grid, rows in merge-window order
 * `(h / m, w / m, m, m)`. Row p holds `[row·f (d/2), col·f (d/2)]` twice, with `f` the inverse
 * frequencies and `row·f` rounded to float32 (upstream's `torch.outer` table).
 */
export function visionRotaryCosSin(
  gridH: number,
  gridW: number,
  mergeSize: number,
  headDim = 64,
  theta = 10_000,
): VisionRotary {
  const inv = visionInverseFrequencies(headDim, theta);
  const q = inv.length;
  const half = 2 * q;
  const n = gridH * gridW;
  const cos = new Float32Array(n * headDim);
  const sin = new Float32Array(n * headDim);
  const angles = new Float32Array(half);
  let p = 0;
  for (let bh = 0; bh < gridH / mergeSize; bh++) {
    for (let bw = 0; bw < gridW / mergeSize; bw++) {
      for (let my = 0; my < mergeSize; my++) {
        const row = bh * mergeSize + my;
        for (let mx = 0; mx < mergeSize; mx++, p++) {
          const col = bw * mergeSize + mx;
          for (let i = 0; i < q; i++) {
            angles[i] = row * (inv[i] as number);
            angles[q + i] = col * (inv[i] as number);
          }
          const base = p * headDim;
          for (let i = 0; i < half; i++) {
            const a = angles[i] as number;
            const c = Math.cos(a);
            const s = Math.sin(a);
            cos[base + i] = c;
            cos[base + half + i] = c;
            sin[base + i] = s;
            sin[base + half + i] = s;
          }
        }
      }
    }
  }
  return { cos, sin };
}
