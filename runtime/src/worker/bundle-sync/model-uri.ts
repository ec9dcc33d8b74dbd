import { ValidationError } from '#core/errors.ts';

/** Where a bundle version lives in S3, taken apart. */
export interface ModelLocation {
  /** The URI as configured, normalised to end with `/`. */
  readonly uri: string;
  readonly bucket: string;
  /** The key prefix of the version folder, ending with `/` (`models/vibe/v1/`). */
  readonly prefix: string;
  /** The last folder of the prefix (`v1`): the name of the version's folder in the cache. */
  readonly version: string;
}

const SEGMENT = /^[\w.=+-]+$/;

/**
 * Splits `s3://bucket/prefix/version/` into bucket, key prefix and version. The version folder is
 * required because it names the cache folder: two versions never share files on a host.
 * @throws ValidationError INVALID_ARGUMENT when the URI has another shape, or a segment is `.`,
 *   `..` or holds characters outside `[A-Za-z0-9_.=+-]`.
 */
export function parseModelUri(uri: string): ModelLocation {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+?)\/?$/.exec(uri);
  const segments = match?.[2]?.split('/') ?? [];
  const version = segments.at(-1);
  const valid =
    match !== null &&
    version !== undefined &&
    segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!valid) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected the model bundle URI to look like s3://bucket/prefix/version/ (segments of letters, digits and _.=+-) but received ${JSON.stringify(uri)}`,
      { details: { uri } },
    );
  }
  const bucket = match[1] as string;
  const prefix = `${segments.join('/')}/`;
  return { uri: `s3://${bucket}/${prefix}`, bucket, prefix, version };
}
