/**
 * Resolution binning of the editor (reference §2.1 step 2): the input area picks one of three
 * aspect-ratio tables, and the key closest to h/w picks the working size H×W.
 *
 * The tables are diffusers 0.33.1's, as `pipeline_sana.py` imports them: `ASPECT_RATIO_512_BIN`
 * and `ASPECT_RATIO_1024_BIN` from `pipeline_pixart_alpha.py` (33 keys each, the 512 table being
 * the 1024 table × 0.5) and `ASPECT_RATIO_2048_BIN` from `pipeline_pixart_sigma.py` (40 keys: the
 * PixArt-Alpha keys plus 0.26, 0.27, 2.89, 3.11, 3.62, 3.75 and 3.88, values at 2× the 1024
 * scale). Entries keep upstream's insertion order because ties go to the first key.
 */

/** Which table a size was binned with. */
export type BinTable = 512 | 1024 | 2048;

export interface ResolutionBin {
  readonly width: number;
  readonly height: number;
  readonly table: BinTable;
  /** The table key (upstream's ratio string h/w), e.g. "0.57". */
  readonly key: string;
}

export interface BinEntry {
  readonly key: string;
  readonly height: number;
  readonly width: number;
}

/** Largest area binned with the 512 table: 2·512² + 256² (`get_closest_size`). */
export const BIN_512_MAX_AREA = 589_824;
/** Largest area binned with the 1024 table: 2·1024² + 512². */
export const BIN_1024_MAX_AREA = 2_359_296;

// [key, H, W] at the 1024 scale, in upstream order; the last field says whether PixArt-Alpha's
// 512/1024 tables have the key (PixArt-Sigma's 2048 table has all 40).
const BASE: ReadonlyArray<readonly [string, number, number, boolean]> = [
  ['0.25', 512, 2048, true],
  ['0.26', 512, 1984, false],
  ['0.27', 512, 1920, false],
  ['0.28', 512, 1856, true],
  ['0.32', 576, 1792, true],
  ['0.33', 576, 1728, true],
  ['0.35', 576, 1664, true],
  ['0.4', 640, 1600, true],
  ['0.42', 640, 1536, true],
  ['0.48', 704, 1472, true],
  ['0.5', 704, 1408, true],
  ['0.52', 704, 1344, true],
  ['0.57', 768, 1344, true],
  ['0.6', 768, 1280, true],
  ['0.68', 832, 1216, true],
  ['0.72', 832, 1152, true],
  ['0.78', 896, 1152, true],
  ['0.82', 896, 1088, true],
  ['0.88', 960, 1088, true],
  ['0.94', 960, 1024, true],
  ['1.0', 1024, 1024, true],
  ['1.07', 1024, 960, true],
  ['1.13', 1088, 960, true],
  ['1.21', 1088, 896, true],
  ['1.29', 1152, 896, true],
  ['1.38', 1152, 832, true],
  ['1.46', 1216, 832, true],
  ['1.67', 1280, 768, true],
  ['1.75', 1344, 768, true],
  ['2.0', 1408, 704, true],
  ['2.09', 1472, 704, true],
  ['2.4', 1536, 640, true],
  ['2.5', 1600, 640, true],
  ['2.89', 1664, 576, false],
  ['3.0', 1728, 576, true],
  ['3.11', 1792, 576, false],
  ['3.62', 1856, 512, false],
  ['3.75', 1920, 512, false],
  ['3.88', 1984, 512, false],
  ['4.0', 2048, 512, true],
];

function scaled(scale: number, alphaKeysOnly: boolean): readonly BinEntry[] {
  return Object.freeze(
    BASE.filter(([, , , inAlpha]) => inAlpha || !alphaKeysOnly).map(([key, h, w]) =>
      Object.freeze({ key, height: h * scale, width: w * scale }),
    ),
  );
}

/** The three tables in upstream insertion order. */
export const ASPECT_RATIO_TABLES: Readonly<Record<BinTable, readonly BinEntry[]>> = Object.freeze({
  512: scaled(0.5, true),
  1024: scaled(1, true),
  2048: scaled(2, false),
});

/** The table `get_closest_size` uses for an area of `width × height` pixels. */
export function tableForArea(width: number, height: number): BinTable {
  const area = height * width;
  if (area <= BIN_512_MAX_AREA) return 512;
  if (area <= BIN_1024_MAX_AREA) return 1024;
  return 2048;
}

/**
 * Picks the working size for an input of `width × height` exactly as upstream does: the table by
 * area, then the first key minimising `abs(float(key) - h / w)` in float64.
 *
 * @example selectBin(1920, 1080) // { width: 1344, height: 768, table: 1024, key: '0.57' }
 */
export function selectBin(width: number, height: number): ResolutionBin {
  const table = tableForArea(width, height);
  const entries = ASPECT_RATIO_TABLES[table];
  const ratio = height / width;
  let best: BinEntry | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const entry of entries) {
    const distance = Math.abs(Number.parseFloat(entry.key) - ratio);
    // Strict comparison: Python's min() keeps the first of equal keys.
    if (distance < bestDistance) {
      best = entry;
      bestDistance = distance;
    }
  }
  // Every table is non-empty and every distance is finite for positive sizes.
  const chosen = best ?? (entries[0] as BinEntry);
  return { width: chosen.width, height: chosen.height, table, key: chosen.key };
}
