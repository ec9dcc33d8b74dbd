import type { JobRecord } from '#core/jobs/job-record.ts';
import type { PipelineRequest } from '#runtime/pipeline/pipeline-types.ts';

/** The pipeline request of a job: its resolved parameters and the bytes of its input image. */
export function requestForJob(job: JobRecord, image: Uint8Array): PipelineRequest {
  const { parameters } = job;
  const { format, quality } = parameters.output;
  return {
    image,
    instruction: job.instruction,
    steps: parameters.steps,
    guidanceScale: parameters.guidanceScale,
    imageGuidanceScale: parameters.imageGuidanceScale,
    seed: parameters.seed,
    sizeMode: parameters.sizeMode,
    output: quality === undefined ? { format } : { format, quality },
  };
}
