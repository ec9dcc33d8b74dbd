import { ValidationError } from '../errors.ts';
import { BATCH_ID_PATTERN } from './batch-record.ts';

/**
 * The storage layout of batches (same in S3 and in the local data folder), beside `jobs/`:
 * `batches/<id>.json` (the batch record), `batches/<id>/chunks/<n>.json` (chunk records) and
 * `batches/<id>/results.jsonl` (the results manifest, a blob).
 */
function checkedId(batchId: string): string {
  if (!BATCH_ID_PATTERN.test(batchId)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a batch id of the form bat_ and 32 lowercase hex digits but received ${JSON.stringify(batchId.slice(0, 40))}`,
    );
  }
  return batchId;
}

function checkedIndex(index: number): number {
  if (!Number.isInteger(index) || index < 0 || index > 99_999) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a chunk index from 0 to 99999 but received ${String(index)}`,
    );
  }
  return index;
}

export function batchRecordKey(batchId: string): string {
  return `batches/${checkedId(batchId)}.json`;
}

export function batchChunkKey(batchId: string, index: number): string {
  return `batches/${checkedId(batchId)}/chunks/${checkedIndex(index)}.json`;
}

export function batchResultsKey(batchId: string): string {
  return `batches/${checkedId(batchId)}/results.jsonl`;
}

/**
 * The id of the job of item `line`: `<batchId>-<line>`. Derived, never drawn, so that a repeated
 * fan-out finds the job it created before instead of creating a second one.
 */
export function batchJobId(batchId: string, line: number): string {
  if (!Number.isInteger(line) || line < 1) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected a line number of 1 or more but received ${String(line)}`,
    );
  }
  return `${checkedId(batchId)}-${line}`;
}

/** The line of a batch job id, or undefined when `jobId` is not a job of `batchId`. */
export function lineOfBatchJob(batchId: string, jobId: string): number | undefined {
  const prefix = `${batchId}-`;
  if (!jobId.startsWith(prefix)) return undefined;
  const rest = jobId.slice(prefix.length);
  if (!/^[1-9][0-9]{0,8}$/.test(rest)) return undefined;
  return Number(rest);
}
