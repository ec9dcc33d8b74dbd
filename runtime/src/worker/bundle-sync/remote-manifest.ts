import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { dependencyError, hasAwsErrorName, httpStatusOf } from '#core/aws/aws-errors.ts';
import { CanceledError } from '#core/errors.ts';
import { bundleError, jsonPath, show } from '#runtime/bundle/bundle-failure.ts';
import { isSafeBundlePath } from '#runtime/bundle/bundle-path.ts';
import type { BundleManifest } from '#runtime/bundle/manifest-schema.ts';
import { parseManifest } from '#runtime/bundle/parse-manifest.ts';
import { validateManifestContract } from '#runtime/bundle/validate-manifest-contract.ts';
import type { FileSpec } from './file-download.ts';
import type { ModelLocation } from './model-uri.ts';
import { SYNC_FILES } from './sync-marker.ts';

const MANIFEST = 'manifest.json';

/**
 * The text of the bundle's manifest.json in S3.
 * @throws BundleError BUNDLE_MISSING when there is none; CanceledError; DependencyError when S3
 *   fails or refuses access.
 */
export async function fetchManifest(
  s3: S3Client,
  location: ModelLocation,
  signal: AbortSignal,
): Promise<string> {
  const key = `${location.prefix}${MANIFEST}`;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), {
      abortSignal: signal,
    });
    return (await out.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (signal.aborted) {
      throw new CanceledError(`Reading ${location.uri}${MANIFEST} was canceled`, { cause: error });
    }
    if (hasAwsErrorName(error, 'NoSuchKey', 'NotFound') || httpStatusOf(error) === 404) {
      throw bundleError(
        'BUNDLE_MISSING',
        {
          bundle: location.uri,
          file: MANIFEST,
          field: '(file)',
          expected: `the object s3://${location.bucket}/${key}`,
          found: 'nothing',
          hint: 'Upload the bundle there, manifest.json last (docs/deploy.md), or fix VIBE_MODEL_S3_URI',
        },
        error,
      );
    }
    throw dependencyError('S3 GetObject', error, { bucket: location.bucket, key });
  }
}

/**
 * Parses and checks the manifest (schema, version, graph contract) before anything is downloaded,
 * so a wrong bundle is refused in milliseconds rather than after gigabytes, and lists its files
 * with their place in the cache folder `dir`. Every path must be a plain relative path that the
 * cache does not use itself (manifest.json, the marker, the lock, temporary files).
 * @throws BundleError BUNDLE_INVALID naming the field.
 */
export function bundleFiles(
  location: ModelLocation,
  dir: string,
  text: string,
): { manifest: BundleManifest; files: FileSpec[] } {
  const manifest = parseManifest(location.uri, text);
  validateManifestContract(location.uri, manifest);
  const reserved = new Set<string>([MANIFEST, SYNC_FILES.marker, SYNC_FILES.lock]);
  const files = Object.entries(manifest.files).map(([path, entry]) => {
    if (!isSafeBundlePath(path) || reserved.has(path) || path.endsWith(SYNC_FILES.partial)) {
      throw bundleError('BUNDLE_INVALID', {
        bundle: location.uri,
        file: MANIFEST,
        field: jsonPath(['files', path]),
        expected: `a relative path inside the bundle with "/" separators, other than ${[...reserved].join(', ')} and *${SYNC_FILES.partial}`,
        found: show(path),
      });
    }
    return {
      path,
      target: join(dir, ...path.split('/')),
      sha256: entry.sha256,
      bytes: entry.bytes,
    };
  });
  return { manifest, files };
}
