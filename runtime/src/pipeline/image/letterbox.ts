/**
 * The letterbox box upstream's editor crops from the bin-sized output before restoring the input
 * size (reference §2.1 step 3, `get_multiscale_transform(crop=False)` in `vibe/utils/img_utils.py`).
 *
 * The pipeline stretches the input to the bin rather than letterboxing it, so in `parity` mode this
 * crop removes real content (§9.2); `aligned` mode skips it.
 */
export interface CropBox {
  /** First column kept, in bin coordinates. */
  readonly left: number;
  /** First row kept. */
  readonly top: number;
  /** One past the last column kept (PIL's `right`). */
  readonly right: number;
  /** One past the last row kept (PIL's `bottom`). */
  readonly bottom: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Fits `origW × origH` inside `binW × binH` keeping its aspect ratio and returns the box the fitted
 * image would occupy, with upstream's arithmetic: the side that limits is compared as
 * `H / oh < W / ow` in float64, the other side is `int(ow * H / oh)` (truncated), and the margins are
 * `(W - rw) // 2` on the left and `(H - rh) // 2` on top. A side can truncate to 0 for extreme
 * aspect ratios; `validateGeometry` rejects such inputs before they get here.
 *
 * @example letterboxCrop(1920, 1080, 1344, 768) // { left: 0, top: 6, right: 1344, bottom: 762, … }
 */
export function letterboxCrop(origW: number, origH: number, binW: number, binH: number): CropBox {
  let fittedW: number;
  let fittedH: number;
  if (binH / origH < binW / origW) {
    fittedH = binH;
    fittedW = Math.trunc((origW * binH) / origH);
  } else {
    fittedH = Math.trunc((origH * binW) / origW);
    fittedW = binW;
  }
  const left = Math.floor(Math.abs(binW - fittedW) / 2);
  const top = Math.floor(Math.abs(binH - fittedH) / 2);
  const right = binW - (binW - fittedW - left);
  const bottom = binH - (binH - fittedH - top);
  return { left, top, right, bottom, width: right - left, height: bottom - top };
}
