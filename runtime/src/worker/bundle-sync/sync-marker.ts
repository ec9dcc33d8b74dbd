import { randomUUID } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { hasCode } from './fs-errors.ts';

/** Names the sync keeps beside the bundle's files in a version folder. */
export const SYNC_FILES = {
  /** Written last: every file below was verified against its sha256. */
  marker: '.vibe-bundle-complete.json',
  /** Held by the task that downloads into the folder. */
  lock: '.vibe-bundle.lock',
  /** Suffix of a file being downloaded (renamed into place once verified). */
  partial: '.partial',
} as const;

const verifiedFile = z.strictObject({
  sha256: z.string(),
  bytes: z.number(),
  /** The file's mtime when it was verified: a later write (a corruption, a copy) changes it. */
  mtimeMs: z.number(),
});

const markerSchema = z.strictObject({
  source: z.string(),
  /** sha256 of the manifest.json text the files were verified against. */
  manifestSha256: z.string(),
  completedAt: z.string(),
  files: z.record(z.string(), verifiedFile),
});

/** The completion marker of a version folder. */
export type SyncMarker = z.infer<typeof markerSchema>;
export type VerifiedFile = z.infer<typeof verifiedFile>;

/** The marker in `dir`, or undefined when there is none or it does not parse (then it is redone). */
export async function readMarker(dir: string): Promise<SyncMarker | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SYNC_FILES.marker), 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const parsed = markerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/**
 * True when the file at `target` is on disk as the marker recorded it after verifying it: the
 * manifest still expects the same sha256 and size, and the file's size and mtime are unchanged
 * since (any later write, such as a corruption or a copy, moves the mtime). A stat instead of a
 * hash: checksums are verified once per marker, not on every start.
 */
export async function matchesMarker(
  marker: SyncMarker | undefined,
  file: {
    readonly path: string;
    readonly target: string;
    readonly sha256: string;
    readonly bytes: number;
  },
): Promise<boolean> {
  const recorded = marker?.files[file.path];
  if (recorded === undefined || recorded.sha256 !== file.sha256 || recorded.bytes !== file.bytes) {
    return false;
  }
  const info = await statOrUndefined(file.target);
  return info !== undefined && info.size === recorded.bytes && info.mtimeMs === recorded.mtimeMs;
}

/** Writes the marker atomically (temporary name, flush, rename). */
export async function writeMarker(dir: string, marker: SyncMarker): Promise<void> {
  await writeFileAtomic(join(dir, SYNC_FILES.marker), JSON.stringify(marker, null, 2));
}

/** Removes the marker: the folder is about to change. */
export async function removeMarker(dir: string): Promise<void> {
  await unlink(join(dir, SYNC_FILES.marker)).catch((error: unknown) => {
    if (!hasCode(error, 'ENOENT')) throw error;
  });
}

/** Writes `text` to `path` through a temporary file in the same folder, flushed before the rename. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomUUID()}${SYNC_FILES.partial}`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** `stat`, or undefined when the path does not exist. */
export async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return undefined;
    throw error;
  }
}
