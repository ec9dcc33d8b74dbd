/** The guidance modes and their DiT batch sizes (reference §5). */

/**
 * - `full`: text and image guidance, 3 rows (conditional, image-only, unconditional).
 * - `text`: text guidance only, 2 rows (conditional, unconditional).
 * - `none`: one conditional row, no combination.
 */
export type GuidanceMode = 'full' | 'text' | 'none';

const BATCH: Readonly<Record<GuidanceMode, 1 | 2 | 3>> = { full: 3, text: 2, none: 1 };

/** The DiT batch size of a mode. */
export function batchSizeOf(mode: GuidanceMode): 1 | 2 | 3 {
  return BATCH[mode];
}
