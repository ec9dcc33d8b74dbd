import type { OutputFormat } from '../edit-parameters.ts';
import { ValidationError } from '../errors.ts';
import { JOB_ID_PATTERN } from './job-record.ts';

/**
 * The storage layout (same in S3 and in the local data folder). Every key is a function of the job
 * id, so a retried or duplicated job writes the same objects instead of new ones.
 */
const EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  png: 'png',
  jpeg: 'jpg',
  webp: 'webp',
};

function checkedId(jobId: string): string {
  if (!JOB_ID_PATTERN.test(jobId)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a job id of letters, digits, "_" or "-" (1 to 128 characters) but received ${JSON.stringify(jobId.slice(0, 40))}`,
    );
  }
  return jobId;
}

/** `inputs/<id>`: the uploaded source image. */
export function inputKey(jobId: string): string {
  return `inputs/${checkedId(jobId)}`;
}

/** `outputs/<id>.<ext>` (`png`, `jpg`, `webp`): the edited image. */
export function outputKey(jobId: string, format: OutputFormat): string {
  return `outputs/${checkedId(jobId)}.${EXTENSIONS[format]}`;
}

/** `jobs/<id>.json`: the job record (S3JobStore; the local store uses the same file names). */
export function jobRecordKey(jobId: string): string {
  return `jobs/${checkedId(jobId)}.json`;
}

/** The MIME type stored with an image of the given format. */
export function imageContentType(format: OutputFormat): string {
  return `image/${format}`;
}

/** `uploads/<uploadId>`: a presigned upload waiting to be referenced by a job. */
export function uploadKey(uploadId: string): string {
  return `uploads/${checkedId(uploadId)}`;
}
