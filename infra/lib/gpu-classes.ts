import { z } from 'zod';

/** The GPU classes a lane can run on. */
export const GPU_CLASS_NAMES = ['h100', 'l4'] as const;
export type GpuClassName = (typeof GPU_CLASS_NAMES)[number];

/** Edit sizes the scaling model distinguishes (longest side in pixels). */
export interface PerImageSeconds {
  /** Model time of one 1024x1024 edit with full guidance. */
  readonly px1024: number;
  /** Model time of one 2048x2048 edit with full guidance. */
  readonly px2048: number;
}

/**
 * What the stack and the scaling simulator need to know about one GPU class. The stack uses the
 * instance types, task size and volume; the scaling target uses the per-image times; the
 * simulator uses all of it. Prices and start-up times are assumptions to re-measure, not facts.
 */
export interface GpuClassProfile {
  /**
   * EC2 instance types the capacity provider may launch, each with exactly `gpusPerInstance` GPUs
   * of this class. The first is the reference type for prices. Several types diversify spot.
   */
  readonly instanceTypes: readonly string[];
  /** GPUs per instance; one task uses one GPU. */
  readonly gpusPerInstance: number;
  readonly secondsPerImage: PerImageSeconds;
  /** On-demand price of one reference instance per hour, USD. */
  readonly onDemandHourlyUsd: number;
  /** Assumed spot price of one reference instance per hour, USD. */
  readonly spotHourlyUsd: number;
  /** Launch request to the ECS agent registering the instance (GPU AMI boot). */
  readonly instanceStartSeconds: number;
  /** Pulling the worker image onto a host that does not have it yet. */
  readonly imagePullSeconds: number;
  /** Sustained parallel S3 download rate into the host cache, checksums included, bytes/s. */
  readonly modelDownloadBytesPerSecond: number;
  /** Creating the ONNX sessions on the GPU from a warm host cache. */
  readonly modelLoadSeconds: number;
  /** CPU units reserved per task (1024 = one vCPU); must fit the smallest instance type. */
  readonly taskCpuUnits: number;
  /** Memory reserved per task, MiB; must fit the smallest instance type. */
  readonly taskMemoryMiB: number;
  /** Root EBS volume of each host, GiB: AMI, worker image and the model cache. */
  readonly rootVolumeGiB: number;
  /**
   * Where the host keeps the model cache: `instance-store` formats and mounts the first NVMe
   * instance store volume (falls back to the root volume when the type has none); `ebs` uses the
   * root volume.
   */
  readonly modelCache: 'instance-store' | 'ebs';
}

/** Slowdown of an L4 against an H100 on this workload: an assumption until measured. */
export const L4_SLOWDOWN_VS_H100 = 4.5;

/** H100 BF16 reference timings (DESIGN §10): 1.15 s at 1024², 4.08 s at 2048² with guidance. */
const H100_SECONDS: PerImageSeconds = { px1024: 1.15, px2048: 4.08 };

/**
 * Defaults. Prices are us-east-1 list prices as assumed in November 2026 and must be checked
 * against the pricing page before they drive a decision:
 * - p5.4xlarge (1x H100 80 GB, 16 vCPU, 256 GiB): assumed 6.88 USD/h on demand (one eighth of a
 *   p5.48xlarge after the 2025 price cut) and 3.44 USD/h spot (50%).
 * - g6.2xlarge (1x L4 24 GB, 8 vCPU, 32 GiB): 0.9776 USD/h on demand, assumed 0.39 USD/h spot (40%).
 */
export const DEFAULT_GPU_CLASSES: Readonly<Record<GpuClassName, GpuClassProfile>> = {
  h100: {
    instanceTypes: ['p5.4xlarge'],
    gpusPerInstance: 1,
    secondsPerImage: H100_SECONDS,
    onDemandHourlyUsd: 6.88,
    spotHourlyUsd: 3.44,
    instanceStartSeconds: 300,
    imagePullSeconds: 60,
    modelDownloadBytesPerSecond: 2e9,
    modelLoadSeconds: 45,
    taskCpuUnits: 8192,
    taskMemoryMiB: 65_536,
    rootVolumeGiB: 200,
    modelCache: 'instance-store',
  },
  l4: {
    instanceTypes: ['g6.2xlarge', 'g6.4xlarge', 'gr6.4xlarge'],
    gpusPerInstance: 1,
    secondsPerImage: {
      px1024: round3(H100_SECONDS.px1024 * L4_SLOWDOWN_VS_H100),
      px2048: round3(H100_SECONDS.px2048 * L4_SLOWDOWN_VS_H100),
    },
    onDemandHourlyUsd: 0.9776,
    spotHourlyUsd: 0.39,
    instanceStartSeconds: 180,
    imagePullSeconds: 120,
    modelDownloadBytesPerSecond: 1e9,
    modelLoadSeconds: 60,
    taskCpuUnits: 4096,
    taskMemoryMiB: 24_576,
    rootVolumeGiB: 150,
    modelCache: 'instance-store',
  },
};

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const positive = z.number().positive();

/** Shape of a GPU class profile; the error path names the offending field. */
export const gpuClassProfileSchema = z.strictObject({
  instanceTypes: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type like g6.2xlarge'))
    .min(1),
  gpusPerInstance: z.number().int().min(1).max(16),
  secondsPerImage: z.strictObject({ px1024: positive, px2048: positive }),
  onDemandHourlyUsd: z.number().nonnegative(),
  spotHourlyUsd: z.number().nonnegative(),
  instanceStartSeconds: z.number().nonnegative(),
  imagePullSeconds: z.number().nonnegative(),
  modelDownloadBytesPerSecond: positive,
  modelLoadSeconds: z.number().nonnegative(),
  taskCpuUnits: z.number().int().min(256),
  taskMemoryMiB: z.number().int().min(512),
  rootVolumeGiB: z.number().int().min(60).max(16_384),
  modelCache: z.enum(['instance-store', 'ebs']),
});
