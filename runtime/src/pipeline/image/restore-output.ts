import { ValidationError } from '#core/errors.ts';
import type { CropBox } from './letterbox.ts';
import type { Resampler } from './resample.ts';

/** Copies the `crop` rectangle out of HWC RGB pixels of width `width`. */
export function cropRgb(rgb: Uint8Array, width: number, height: number, crop: CropBox): Uint8Array {
  if (
    crop.left < 0 ||
    crop.top < 0 ||
    crop.right > width ||
    crop.bottom > height ||
    crop.width <= 0 ||
    crop.height <= 0
  ) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a non-empty crop inside ${width}×${height} but received ` +
        `(${crop.left}, ${crop.top}, ${crop.right}, ${crop.bottom})`,
    );
  }
  const out = new Uint8Array(crop.width * crop.height * 3);
  const rowBytes = crop.width * 3;
  for (let y = 0; y < crop.height; y++) {
    const src = ((crop.top + y) * width + crop.left) * 3;
    out.set(rgb.subarray(src, src + rowBytes), y * rowBytes);
  }
  return out;
}

/**
 * Brings the bin-sized output back to the input size (reference §2.1 step 5):
 *
 * - `parity` mode passes the letterbox `crop`: the box is cut out (PIL `crop`), then resized with
 *   LANCZOS to `origW × origH` (`revert_resize`, skipped when the sizes already match).
 * - `aligned` mode passes `null`: the whole bin is resized back, undoing the stretch exactly.
 */
export async function restoreToInput(
  rgbBin: Uint8Array,
  binW: number,
  binH: number,
  crop: CropBox | null,
  origW: number,
  origH: number,
  resampler: Resampler,
): Promise<Uint8Array> {
  const source = crop ? cropRgb(rgbBin, binW, binH, crop) : rgbBin;
  const w = crop ? crop.width : binW;
  const h = crop ? crop.height : binH;
  if (w === origW && h === origH) return source === rgbBin ? rgbBin.slice() : source;
  return resampler.resizeRgb(source, w, h, origW, origH, 'lanczos');
}
