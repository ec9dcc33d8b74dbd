import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Suffix of in-flight temporary files; readers that list folders skip names ending with it. */
export const TEMP_SUFFIX = '.tmp';

/**
 * Writes `data` to `target` so that readers see either the old or the new content, never a part:
 * the bytes go to a temporary file in `tmpDir` (default: the target's folder, which must be on the
 * same file system) and are renamed into place. No fsync: this survives a process crash, which is
 * what local mode needs, not a power loss.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  tmpDir: string = dirname(target),
): Promise<void> {
  const temp = join(tmpDir, `.${basename(target)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(temp, data);
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** True for "no such file" (the file went away or never existed). */
export function isMissingFileError(error: unknown): boolean {
  return isErrnoException(error) && error.code === 'ENOENT';
}

/** Reads a file, resolving with undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isMissingFileError(error)) return undefined;
    throw error;
  }
}
