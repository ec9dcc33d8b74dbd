import { isAbsolute, relative, resolve, sep } from 'node:path';
import { BundleError } from '#core/errors.ts';

/**
 * Resolves a path written in a bundle file (manifest, trace) against the bundle folder. Such paths
 * are relative, use `/`, and never escape the folder: no `..`, `.` or empty segments, no absolute
 * paths, no backslashes. The same rules as the exporter's `vibe_export/paths.py`.
 *
 * @throws BundleError (BUNDLE_INVALID) naming `field` when the path breaks a rule.
 */
export function resolveBundleRelativePath(bundleDir: string, path: string, field: string): string {
  const problems: string[] = [];
  if (path.length === 0) problems.push('it is empty');
  if (path.includes('\\')) problems.push("it contains a backslash (use '/')");
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || isAbsolute(path)) {
    problems.push('it is absolute');
  }
  const segments = path.split('/');
  if (segments.includes('..')) problems.push("it has a '..' segment");
  if (path.length > 0 && segments.some((segment) => segment === '' || segment === '.')) {
    problems.push("it has an empty or '.' segment");
  }
  if (problems.length > 0) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${field} to be a relative path inside the bundle with '/' separators but ${JSON.stringify(path)} is not: ${problems.join('; ')}`,
      { details: { field, path } },
    );
  }
  const root = resolve(bundleDir);
  const target = resolve(root, ...segments);
  const fromRoot = relative(root, target);
  if (fromRoot.startsWith(`..${sep}`) || fromRoot === '..' || isAbsolute(fromRoot)) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${field} to stay inside the bundle folder ${root} but it resolves to ${target}`,
      { details: { field, path } },
    );
  }
  return target;
}
