import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { BundleError } from '#core/errors.ts';
import { bundleError, jsonPath, show } from './bundle-failure.ts';
import { resolveBundlePath } from './bundle-path.ts';
import { sha256File } from './file-sha256.ts';
import { GRAPH_NAMES } from './graph-contract.ts';
import type { BundleManifest } from './manifest-schema.ts';

/** Every path the manifest refers to, with the JSON path of the field that names it. */
export function referencedPaths(manifest: BundleManifest): { field: string; path: string }[] {
  const refs: { field: string; path: string }[] = [];
  for (const graph of GRAPH_NAMES) {
    const entry = manifest.graphs[graph];
    refs.push({ field: `graphs.${graph}.file`, path: entry.file });
    for (const [i, path] of (entry.externalData ?? []).entries()) {
      refs.push({ field: `graphs.${graph}.externalData[${i}]`, path });
    }
  }
  for (const [name, entry] of Object.entries(manifest.constants)) {
    refs.push({ field: `constants.${name}.file`, path: entry.file });
  }
  for (const [key, path] of Object.entries(manifest.tokenizer)) {
    refs.push({ field: `tokenizer.${key}`, path });
  }
  if (manifest.parityTrace !== undefined) {
    refs.push({ field: 'parityTrace', path: manifest.parityTrace });
  }
  return refs;
}

/**
 * Checks the manifest's paths and the files on disk: every referenced path is safe and listed in
 * `files`; every listed file exists inside the folder (symlinks included) with its byte size and,
 * when `verifyChecksums`, its sha256. Sizes are all checked before any hashing, so a truncated
 * copy fails in milliseconds instead of after hashing gigabytes.
 * @throws BundleError BUNDLE_MISSING for an absent file, BUNDLE_INVALID otherwise.
 */
export async function verifyBundleFiles(
  bundle: string,
  manifest: BundleManifest,
  verifyChecksums: boolean,
): Promise<void> {
  const invalid = (file: string, field: string, expected: string, found: string) =>
    bundleError('BUNDLE_INVALID', { bundle, file, field, expected, found });

  for (const { field, path } of referencedPaths(manifest)) {
    resolveBundlePath(bundle, field, path);
    if (!Object.hasOwn(manifest.files, path)) {
      throw invalid(
        'manifest.json',
        jsonPath(['files', path]),
        `an entry for ${show(path)} (named by ${field})`,
        'nothing',
      );
    }
  }
  for (const [name, constant] of Object.entries(manifest.constants)) {
    const bytes = constant.dims.reduce((product, d) => product * d, 4);
    const listed = manifest.files[constant.file]?.bytes;
    if (listed !== bytes) {
      throw invalid(
        'manifest.json',
        `${jsonPath(['files', constant.file])}.bytes`,
        `${bytes} bytes (float32 ${show(constant.dims)} of constants.${name})`,
        `${listed} bytes`,
      );
    }
  }
  const root = await realpath(bundle);
  const entries = Object.entries(manifest.files);
  const absolute = new Map<string, string>();
  for (const [path, entry] of entries) {
    const field = jsonPath(['files', path]);
    if (path === 'manifest.json') {
      throw invalid(
        'manifest.json',
        field,
        'every file except manifest.json itself',
        'manifest.json listed',
      );
    }
    const full = resolveBundlePath(bundle, field, path);
    const info = await stat(full).catch((error: unknown) => {
      if (isNotFound(error)) {
        throw bundleError(
          'BUNDLE_MISSING',
          {
            bundle,
            file: path,
            field,
            expected: `a file of ${entry.bytes} bytes`,
            found: 'nothing',
            hint: 'Copy the complete bundle folder again',
          },
          error,
        );
      }
      throw unreadable(bundle, path, field, error);
    });
    if (!info.isFile()) throw invalid(path, field, 'a regular file', 'a folder or special file');
    const real = await realpath(full);
    const inside = relative(root, real);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      throw invalid(path, field, 'a file inside the bundle folder', `a link to ${real}`);
    }
    if (info.size !== entry.bytes) {
      throw invalid(
        path,
        `${field}.bytes`,
        `${entry.bytes} bytes`,
        `${info.size} bytes (a truncated or different file)`,
      );
    }
    absolute.set(path, full);
  }
  if (!verifyChecksums) return;
  for (const [path, entry] of entries) {
    const full = absolute.get(path) ?? resolveBundlePath(bundle, jsonPath(['files', path]), path);
    const actual = await sha256File(full).catch((error: unknown) => {
      throw unreadable(bundle, path, jsonPath(['files', path]), error);
    });
    if (actual !== entry.sha256) {
      throw invalid(
        path,
        `${jsonPath(['files', path])}.sha256`,
        `sha256 ${entry.sha256}`,
        `sha256 ${actual} (the file is corrupt or from another bundle)`,
      );
    }
  }
}

/** A bundle file that exists but cannot be read (permissions, I/O errors). */
export function unreadable(
  bundle: string,
  file: string,
  field: string,
  error: unknown,
): BundleError {
  const reason = error instanceof Error ? error.message : String(error);
  return bundleError(
    'BUNDLE_INVALID',
    { bundle, file, field, expected: 'a readable file', found: `a read error (${reason})` },
    error,
  );
}

/** True for the errors of a path that does not exist. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'ENOENT' || error.code === 'ENOTDIR')
  );
}
