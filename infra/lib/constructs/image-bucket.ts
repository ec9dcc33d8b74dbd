import { type CfnResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { getAttFinding } from '../nag-findings.ts';

/** Key prefixes of the bucket (core's storage-keys.ts writes the same layout). */
export const KEY_PREFIXES = {
  inputs: 'inputs',
  uploads: 'uploads',
  outputs: 'outputs',
  jobs: 'jobs',
  batches: 'batches',
  /** API keys (never expire: a key lives until revoked). */
  keys: 'keys',
  idempotency: 'idempotency',
  limits: 'limits',
} as const;

export interface ImageBucketProps {
  /** Days after which each prefix expires (job records at least as long as outputs). */
  readonly inputsExpireDays: number;
  readonly uploadsExpireDays: number;
  readonly outputsExpireDays: number;
  readonly jobRecordsExpireDays: number;
  readonly batchesExpireDays: number;
  readonly idempotencyExpireDays: number;
  readonly limitsExpireDays: number;
  /** Origins allowed to PUT presigned uploads and GET presigned outputs from a browser. */
  readonly corsAllowedOrigins: readonly string[];
  /** Prefix of model bundles; never expires. */
  readonly modelPrefix: string;
  /** @default RemovalPolicy.RETAIN: images and job records outlive the stack unless emptied by hand. */
  readonly removalPolicy?: RemovalPolicy;
  /** Days to keep server access logs. @default 90 */
  readonly accessLogExpireDays?: number;
}

/**
 * The one bucket of the service: input images, presigned uploads, outputs, job records, batch
 * records, API keys, idempotency records, per-key limits and model bundles. Private (all public access blocked, bucket-owner-enforced),
 * SSE-S3 encrypted, TLS 1.2+ only, lifecycle expiry per prefix, CORS for presigned uploads, and
 * server access logs in a second bucket.
 */
export class ImageBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** The origins the bucket's CORS rule allows for presigned uploads and downloads. */
  readonly corsAllowedOrigins: readonly string[];
  readonly accessLogs: s3.Bucket;
  readonly modelPrefix: string;

  constructor(scope: Construct, id: string, props: ImageBucketProps) {
    super(scope, id);
    this.corsAllowedOrigins = props.corsAllowedOrigins;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.modelPrefix = props.modelPrefix;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogExpireDays ?? 90) }],
      removalPolicy,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the image bucket; logging it into itself would loop.',
    });

    const expire = (prefix: string, days: number): s3.LifecycleRule => ({
      id: `expire-${prefix}`,
      prefix: `${prefix}/`,
      expiration: Duration.days(days),
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // exactOptionalPropertyTypes: the Bucket class is not assignable to IBucket without a cast.
      serverAccessLogsBucket: this.accessLogs as s3.IBucket,
      serverAccessLogsPrefix: 'images/',
      removalPolicy,
      lifecycleRules: [
        expire(KEY_PREFIXES.inputs, props.inputsExpireDays),
        expire(KEY_PREFIXES.uploads, props.uploadsExpireDays),
        expire(KEY_PREFIXES.outputs, props.outputsExpireDays),
        expire(KEY_PREFIXES.jobs, props.jobRecordsExpireDays),
        expire(KEY_PREFIXES.batches, props.batchesExpireDays),
        expire(KEY_PREFIXES.idempotency, props.idempotencyExpireDays),
        expire(KEY_PREFIXES.limits, props.limitsExpireDays),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: [...props.corsAllowedOrigins],
          allowedHeaders: ['content-type', 'content-length', 'content-md5', 'x-amz-*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
    });
  }

  /** ARN pattern of every object under `prefix/`. */
  objectsArn(prefix: string): string {
    return this.bucket.arnForObjects(`${prefix}/*`);
  }

  /** The cdk-nag IAM5 finding of a grant on `objectsArn(prefix)`. */
  objectsFinding(prefix: string): string {
    return `Resource::${getAttFinding(this.bucket.node.defaultChild as CfnResource, 'Arn')}/${prefix}/*`;
  }

  /** `s3://<bucket>/<modelPrefix>/<version>/`, the folder holding a bundle's manifest.json. */
  modelUri(version: string): string {
    return `s3://${this.bucket.bucketName}/${this.modelPrefix}/${version}/`;
  }
}
