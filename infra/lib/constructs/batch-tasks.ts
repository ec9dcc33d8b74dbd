import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV_NAMES } from '../env-names.ts';
import type { LaneName } from '../lane-settings.ts';
import { acknowledgeFindings } from '../nag-findings.ts';
import { createNodeLambda, type LambdaSource } from '../node-lambda.ts';
import type { BatchTaskSettings } from '../service-settings.ts';
import { DeadLetteredQueue } from './dead-lettered-queue.ts';
import { type ImageBucket, KEY_PREFIXES } from './image-bucket.ts';

export interface BatchTasksProps {
  /** The task Lambda's entry (functions/src/handlers/batch-tasks.ts; a fixture in tests). */
  readonly source: LambdaSource;
  readonly settings: BatchTaskSettings;
  readonly images: ImageBucket;
  /** Fan-out steps submit the batch's jobs to the lanes. */
  readonly laneQueues: Readonly<Record<LaneName, sqs.IQueue>>;
  /** Batch events (and job events of canceled items). */
  readonly eventsQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The batch task queue (docs/batches.md): fan-out and cancel steps that do not fit in a request,
 * with its own dead-letter queue, consumed by a Lambda that runs the API's task runner with
 * partial batch responses. A failed step comes back after the visibility timeout; after
 * `maxReceiveCount` attempts the task is dead-lettered (and alarmed by ServiceMonitoring).
 */
export class BatchTasks extends Construct {
  readonly tasks: DeadLetteredQueue;
  readonly handler: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: BatchTasksProps) {
    super(scope, id);
    const { settings, images } = props;
    this.tasks = new DeadLetteredQueue(this, 'Tasks', {
      visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
      maxReceiveCount: settings.maxReceiveCount,
      retentionDays: settings.retentionDays,
    });
    this.handler = createNodeLambda(this, 'Handler', {
      ...props.source,
      description: 'VIBE batch tasks',
      memoryMiB: settings.lambdaMemoryMiB,
      timeoutSeconds: settings.lambdaTimeoutSeconds,
      logRetention: props.logRetention,
      // The API's environment: the runner is built on the API's own dependencies.
      environment: {
        [ENV_NAMES.mode]: 'aws',
        [ENV_NAMES.bucket]: images.bucket.bucketName,
        [ENV_NAMES.queueUrlInteractive]: props.laneQueues.interactive.queueUrl,
        [ENV_NAMES.queueUrlBatch]: props.laneQueues.batch.queueUrl,
        [ENV_NAMES.eventsQueueUrl]: props.eventsQueue.queueUrl,
        [ENV_NAMES.batchTasksQueueUrl]: this.tasks.queue.queueUrl,
      },
    });
    this.handler.addEventSource(
      new eventSources.SqsEventSource(this.tasks.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: settings.maxConcurrency,
      }),
    );
    this.grantLeastPrivilege(props);
  }

  /**
   * What a fan-out step (submitEdit per item) and a cancel step do: read uploads, write inputs
   * (deleting one whose enqueue failed), job records, lane tickets and batch records; send jobs,
   * events and continuation tasks, and read the lanes' depth (queue positions).
   */
  private grantLeastPrivilege(props: BatchTasksProps): void {
    const { images } = props;
    const role = this.handler.role;
    if (role === undefined) return;
    const objects = (...prefixes: string[]) => prefixes.map((prefix) => images.objectsArn(prefix));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteRecords',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: objects(KEY_PREFIXES.jobs, KEY_PREFIXES.batches, KEY_PREFIXES.limits),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteInputs',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: objects(KEY_PREFIXES.inputs),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadUploads',
        actions: ['s3:GetObject'],
        resources: objects(KEY_PREFIXES.uploads),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NotFoundIs404',
        actions: ['s3:ListBucket'],
        resources: [images.bucket.bucketArn],
      }),
    );
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      [
        KEY_PREFIXES.jobs,
        KEY_PREFIXES.batches,
        KEY_PREFIXES.limits,
        KEY_PREFIXES.inputs,
        KEY_PREFIXES.uploads,
      ].map((prefix) => images.objectsFinding(prefix)),
      'Object keys are per job, batch or upload id (jobs/<id>.json, batches/<id>/..., limits/tickets/<jobId>.json), so grants name a key prefix, never the whole bucket.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Enqueue',
        actions: ['sqs:SendMessage'],
        resources: [
          props.laneQueues.interactive.queueArn,
          props.laneQueues.batch.queueArn,
          props.eventsQueue.queueArn,
          this.tasks.queue.queueArn,
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'LaneDepth',
        actions: ['sqs:GetQueueAttributes'],
        resources: [props.laneQueues.interactive.queueArn, props.laneQueues.batch.queueArn],
      }),
    );
  }
}
