/**
 * A model bundle in fauxqs S3 for the bundle-sync tests: uploads a bundle folder (files first,
 * manifest last, as docs/deploy.md says), with hooks to tamper with files or the manifest, and an
 * S3 client that counts the GETs per key.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createAwsClients } from '#core/aws/aws-clients.ts';

/** fauxqs refuses single PUTs over 11 MiB; larger objects go up in parts. */
const PART_BYTES = 8 * 1024 * 1024;

export interface ManifestFiles {
  files: Record<string, { sha256: string; bytes: number }>;
  [key: string]: unknown;
}

export interface UploadOptions {
  /** Changes a file's bytes before the upload (the manifest keeps the original entry). */
  readonly tamper?: (path: string, bytes: Buffer) => Buffer;
  /** Changes the manifest before the upload. */
  readonly manifest?: (manifest: ManifestFiles) => ManifestFiles;
  /** Extra files to upload that are not in the bundle folder (listed by `manifest`). */
  readonly extra?: Readonly<Record<string, Buffer>>;
}

/** Uploads `dir` to `s3://bucket/prefix`; resolves with the manifest as uploaded. */
export async function uploadBundle(
  s3: S3Client,
  bucket: string,
  prefix: string,
  dir: string,
  options: UploadOptions = {},
): Promise<ManifestFiles> {
  const original = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ManifestFiles;
  const manifest = options.manifest?.(structuredClone(original)) ?? original;
  for (const path of Object.keys(original.files)) {
    const bytes = await readFile(join(dir, ...path.split('/')));
    await putObject(s3, bucket, `${prefix}${path}`, options.tamper?.(path, bytes) ?? bytes);
  }
  for (const [path, bytes] of Object.entries(options.extra ?? {})) {
    await putObject(s3, bucket, `${prefix}${path}`, bytes);
  }
  await putObject(s3, bucket, `${prefix}manifest.json`, Buffer.from(JSON.stringify(manifest)));
  return manifest;
}

export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
): Promise<void> {
  if (body.byteLength <= PART_BYTES) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return;
  }
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
  );
  const parts: { ETag: string; PartNumber: number }[] = [];
  for (let start = 0, n = 1; start < body.byteLength; start += PART_BYTES, n++) {
    const out = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: n,
        Body: body.subarray(start, start + PART_BYTES),
      }),
    );
    parts.push({ ETag: out.ETag ?? '', PartNumber: n });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
}

/** An S3 client on the emulator that counts GetObject calls per key. */
export function countingS3(endpoint: string): { s3: S3Client; gets: Map<string, number> } {
  const { s3 } = createAwsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const gets = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string };
      if (context.commandName === 'GetObjectCommand' && input.Key !== undefined) {
        gets.set(input.Key, (gets.get(input.Key) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countGets' },
  );
  return { s3, gets };
}

/** Total of the counted GETs whose key does not end with manifest.json. */
export function fileGets(gets: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const [key, count] of gets) if (!key.endsWith('manifest.json')) total += count;
  return total;
}
