import { join } from 'node:path';
import { bundleError } from './bundle-failure.ts';

const RULE =
  'a relative path inside the bundle with "/" separators (no "..", ".", empty segments, "\\" or drive letters)';

/**
 * Checks a manifest path and returns it joined to the bundle folder. Paths are relative, use `/`
 * and never leave the folder, so a manifest cannot make the worker read files elsewhere.
 * @throws BundleError BUNDLE_INVALID naming `field` in manifest.json.
 */
export function resolveBundlePath(bundle: string, field: string, path: string): string {
  if (!isSafeBundlePath(path)) {
    throw bundleError('BUNDLE_INVALID', {
      bundle,
      file: 'manifest.json',
      field,
      expected: RULE,
      found: JSON.stringify(path),
    });
  }
  return join(bundle, ...path.split('/'));
}

/** True for a non-empty relative `/`-separated path whose segments are plain names. */
export function isSafeBundlePath(path: string): boolean {
  if (path.length === 0 || path.includes('\\') || path.includes('\0')) return false;
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
