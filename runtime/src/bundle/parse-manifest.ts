import type { z } from 'zod';
import { type BundleFailure, bundleError, jsonPath, show } from './bundle-failure.ts';
import {
  type BundleManifest,
  bundleManifestSchema,
  SUPPORTED_MANIFEST_VERSIONS,
} from './manifest-schema.ts';

const MANIFEST_FILE = 'manifest.json';

/**
 * Parses the text of `manifest.json` and checks its shape. The version is checked first, so a
 * manifest from a newer exporter is refused for its version, not for the fields it added.
 * @throws BundleError BUNDLE_INVALID naming the first offending field.
 */
export function parseManifest(bundle: string, text: string): BundleManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw bundleError(
      'BUNDLE_INVALID',
      {
        bundle,
        file: MANIFEST_FILE,
        field: '(root)',
        expected: 'valid JSON',
        found: `a parse error (${error instanceof Error ? error.message : String(error)})`,
      },
      error,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw bundleError('BUNDLE_INVALID', {
      bundle,
      file: MANIFEST_FILE,
      field: '(root)',
      expected: 'a JSON object',
      found: show(data),
    });
  }
  const version = (data as Record<string, unknown>).manifestVersion;
  if (typeof version !== 'number' || !SUPPORTED_MANIFEST_VERSIONS.includes(version)) {
    throw bundleError('BUNDLE_INVALID', {
      bundle,
      file: MANIFEST_FILE,
      field: 'manifestVersion',
      expected: `one of the supported versions ${SUPPORTED_MANIFEST_VERSIONS.join(', ')}`,
      found: show(version),
      hint: 'Re-export the bundle with an exporter that writes a supported manifestVersion, or upgrade this runtime',
    });
  }
  const result = bundleManifestSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new Error('zod reported a failure without issues');
  throw bundleError('BUNDLE_INVALID', describeIssue(bundle, issue));
}

function describeIssue(bundle: string, issue: z.core.$ZodIssue): BundleFailure {
  const base = { bundle, file: MANIFEST_FILE, field: jsonPath(issue.path) };
  const found = show(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      return { ...base, expected: `a value of type ${issue.expected}`, found };
    case 'invalid_value':
      return { ...base, expected: issue.values.map((v) => show(v)).join(' or '), found };
    case 'too_small':
      return {
        ...base,
        expected: `${issue.origin === 'string' ? 'a length' : 'a value'} ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`,
        found,
      };
    case 'too_big':
      return {
        ...base,
        expected: `${issue.origin === 'string' ? 'a length' : 'a value'} ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`,
        found,
      };
    case 'unrecognized_keys':
      return {
        ...base,
        field: jsonPath([...issue.path, issue.keys[0] ?? '']),
        expected: 'only the keys of manifestVersion 1 (see docs/model-bundle.md)',
        found: `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
      };
    case 'invalid_format':
      // Custom messages in the schema say what is expected ("a sha256 of 64 ...").
      return { ...base, expected: issue.message, found };
    default:
      return { ...base, expected: issue.message, found };
  }
}
