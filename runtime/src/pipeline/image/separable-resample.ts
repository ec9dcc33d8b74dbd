/**
 * A TypeScript port of the separable, antialiased convolution resampling that upstream's resizes
 * run on 8-bit images:
 *
 * - `pil`: Pillow's `ImagingResample` (`src/libImaging/Resample.c`), used by `Image.resize` for
 *   the VAE stretch and the output restore (LANCZOS, a = 3).
 * - `torch`: PyTorch's uint8 path of `_upsample_bicubic2d_aa` (`UpSampleKernel.cpp`, which
 *   torchvision's `resize(antialias=True)` reaches for uint8 bicubic on the CPU), used by the
 *   Qwen2-VL fast image processor. It is Pillow's algorithm with two differences: the coefficients
 *   are int16 with a precision chosen from the largest weight of the axis (Pillow: int32, 22 bits),
 *   and the cubic's outer piece is written as `((a·x − 5a)·x + 8a)·x − 4a`.
 *
 * Both: the kernel support is scaled by the downscale factor, weights are evaluated in float64 and
 * normalised per output sample, then rounded to fixed point (away from zero at .5); the horizontal
 * pass runs first into an 8-bit intermediate, then the vertical pass; each sum starts at
 * `1 << (precision − 1)` and is shifted right and clamped to 0–255. A pass whose size does not
 * change is skipped.
 */

export type ResampleFilter = 'bicubic' | 'lanczos';
export type KernelFlavour = 'pil' | 'torch';

/** Pillow's `PRECISION_BITS`: 32 − 8 − 2. */
export const PIL_PRECISION_BITS = 22;

export interface AxisCoefficients {
  /** First input index per output sample. */
  readonly start: Int32Array;
  /** Number of input samples per output sample. */
  readonly count: Int32Array;
  /** `outSize × stride` fixed-point weights. */
  readonly weights: Int32Array;
  readonly stride: number;
  /** Fixed-point fraction bits. */
  readonly precision: number;
}

function bicubicPil(x: number): number {
  const a = -0.5;
  const t = x < 0 ? -x : x;
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

function bicubicTorch(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

interface KernelSpec {
  readonly fn: (x: number) => number;
  readonly support: number;
}

function kernelFor(filter: ResampleFilter, flavour: KernelFlavour): KernelSpec {
  if (filter === 'lanczos') return { fn: lanczos, support: 3 };
  return { fn: flavour === 'torch' ? bicubicTorch : bicubicPil, support: 2 };
}

function toFixed(value: number, precision: number): number {
  const v = value * 2 ** precision;
  return v < 0 ? Math.trunc(-0.5 + v) : Math.trunc(0.5 + v);
}

/** torch's `_compute_index_ranges_int16_weights`: the largest precision keeping weights in int16. */
function torchPrecision(maxWeight: number): number {
  let precision = 0;
  for (; precision < 22; precision++) {
    if (Math.trunc(0.5 + maxWeight * 2 ** (precision + 1)) >= 1 << 15) break;
  }
  return precision;
}

/**
 * The start, count and fixed-point weights for resampling one axis from `inSize` to `outSize`
 * (Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`, or torch's int16 variant).
 */
export function computeAxisCoefficients(
  inSize: number,
  outSize: number,
  filter: ResampleFilter,
  flavour: KernelFlavour,
): AxisCoefficients {
  const kernel = kernelFor(filter, flavour);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const invScale = 1 / filterScale;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const real = new Float64Array(outSize * stride);
  let maxWeight = 0;
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const last = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = Math.min(stride, Math.max(0, last - first));
    const base = out * stride;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const w = kernel.fn((j + first - center + 0.5) * invScale);
      real[base + j] = w;
      total += w;
    }
    if (total !== 0) {
      for (let j = 0; j < n; j++) {
        const w = (real[base + j] as number) / total;
        real[base + j] = w;
        if (w > maxWeight) maxWeight = w;
      }
    }
    start[out] = first;
    count[out] = n;
  }
  const precision = flavour === 'torch' ? torchPrecision(maxWeight) : PIL_PRECISION_BITS;
  const weights = new Int32Array(outSize * stride);
  for (let i = 0; i < weights.length; i++) weights[i] = toFixed(real[i] as number, precision);
  return { start, count, weights, stride, precision };
}

function clampByte(value: number): number {
  return Math.min(Math.max(value, 0), 255);
}

function horizontalPass(
  src: Uint8Array,
  srcWidth: number,
  firstRow: number,
  rows: number,
  outWidth: number,
  c: AxisCoefficients,
): Uint8Array {
  const dst = new Uint8Array(outWidth * rows * 3);
  const half = 1 << (c.precision - 1);
  const shift = c.precision;
  for (let y = 0; y < rows; y++) {
    const rowStart = (firstRow + y) * srcWidth * 3;
    const outRow = y * outWidth * 3;
    for (let x = 0; x < outWidth; x++) {
      const n = c.count[x] as number;
      const k = x * c.stride;
      let p = rowStart + (c.start[x] as number) * 3;
      let r = half;
      let g = half;
      let b = half;
      for (let j = 0; j < n; j++, p += 3) {
        const w = c.weights[k + j] as number;
        r += (src[p] as number) * w;
        g += (src[p + 1] as number) * w;
        b += (src[p + 2] as number) * w;
      }
      const o = outRow + x * 3;
      dst[o] = clampByte(r >> shift);
      dst[o + 1] = clampByte(g >> shift);
      dst[o + 2] = clampByte(b >> shift);
    }
  }
  return dst;
}

function verticalPass(
  src: Uint8Array,
  width: number,
  rowOffset: number,
  outHeight: number,
  c: AxisCoefficients,
): Uint8Array {
  const rowLength = width * 3;
  const dst = new Uint8Array(rowLength * outHeight);
  const acc = new Int32Array(rowLength);
  const half = 1 << (c.precision - 1);
  const shift = c.precision;
  for (let y = 0; y < outHeight; y++) {
    acc.fill(half);
    const n = c.count[y] as number;
    const k = y * c.stride;
    const first = (c.start[y] as number) - rowOffset;
    for (let j = 0; j < n; j++) {
      const w = c.weights[k + j] as number;
      if (w === 0) continue;
      const s = (first + j) * rowLength;
      for (let i = 0; i < rowLength; i++) acc[i] = (acc[i] as number) + (src[s + i] as number) * w;
    }
    const o = y * rowLength;
    for (let i = 0; i < rowLength; i++) dst[o + i] = clampByte((acc[i] as number) >> shift);
  }
  return dst;
}

/**
 * Resizes HWC RGB uint8 pixels to `outWidth × outHeight` with Pillow's or torch's fixed-point
 * separable convolution (see the file comment). Returns a new array; an unchanged size returns a
 * copy, as both libraries do.
 */
export function resampleRgbSeparable(
  rgb: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  filter: ResampleFilter,
  flavour: KernelFlavour,
): Uint8Array {
  const needHorizontal = outWidth !== width;
  const needVertical = outHeight !== height;
  if (!needHorizontal && !needVertical) return rgb.slice(0, width * height * 3);
  const vertical = needVertical
    ? computeAxisCoefficients(height, outHeight, filter, flavour)
    : null;
  let image = rgb;
  let rowOffset = 0;
  if (needHorizontal) {
    const horizontal = computeAxisCoefficients(width, outWidth, filter, flavour);
    // Like Pillow, resample only the rows the vertical pass reads; the output is the same.
    let firstRow = 0;
    let lastRow = height;
    if (vertical) {
      firstRow = vertical.start[0] as number;
      lastRow =
        (vertical.start[outHeight - 1] as number) + (vertical.count[outHeight - 1] as number);
    }
    image = horizontalPass(rgb, width, firstRow, lastRow - firstRow, outWidth, horizontal);
    rowOffset = firstRow;
  }
  if (!vertical) return image;
  return verticalPass(image, outWidth, rowOffset, outHeight, vertical);
}
