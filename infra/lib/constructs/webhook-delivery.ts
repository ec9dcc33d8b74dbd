import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV_NAMES } from '../env-names.ts';
import { acknowledgeFindings } from '../nag-findings.ts';
import { createNodeLambda, type LambdaSource } from '../node-lambda.ts';
import type { EventSettings } from '../service-settings.ts';
import { DeadLetteredQueue } from './dead-lettered-queue.ts';
import { type ImageBucket, KEY_PREFIXES } from './image-bucket.ts';

export interface WebhookDeliveryProps {
  /** The delivery Lambda's entry (functions/src/handlers/webhook-delivery.ts; a fixture in tests). */
  readonly source: LambdaSource;
  readonly settings: EventSettings;
  readonly images: ImageBucket;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Job events on their way to callers' webhooks: the events queue (with its own dead-letter queue)
 * drives a Lambda that signs and POSTs each event (Standard Webhooks). The Lambda reports partial
 * batch failures, so only failed events come back, after their visibility timeout (the Lambda sets
 * it to the retry's wait, up to 12 h); after `maxReceiveCount` (8, the deliverer's attempts) an
 * event is dead-lettered and alarmed. The signing key is a generated Secrets Manager secret, read
 * through the Parameters and Secrets extension (localhost:2773, functions/src/webhooks/
 * lambda-extension-secrets.ts); rotate it by putting a new version. Each delivery is logged beside
 * its job or batch record (`jobs/<id>/webhook-deliveries.json`, `batches/<id>/...`).
 */
export class WebhookDelivery extends Construct {
  readonly events: DeadLetteredQueue;
  readonly handler: nodejs.NodejsFunction;
  readonly signingSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const { settings } = props;
    this.events = new DeadLetteredQueue(this, 'Events', {
      visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
      maxReceiveCount: settings.maxReceiveCount,
      retentionDays: settings.retentionDays,
    });
    this.signingSecret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: 'VIBE webhook signing key (Standard Webhooks HMAC-SHA256)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.signingSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotation is manual: a new secret version is put and both keys sign during the overlap (Standard Webhooks allows several signatures); receivers must be told of the new key first, which no rotation Lambda can do.',
    });

    this.handler = createNodeLambda(this, 'Handler', {
      ...props.source,
      description: 'VIBE webhook delivery',
      memoryMiB: 256,
      timeoutSeconds: settings.lambdaTimeoutSeconds,
      logRetention: props.logRetention,
      environment: {
        [ENV_NAMES.mode]: 'aws',
        [ENV_NAMES.bucket]: props.images.bucket.bucketName,
        [ENV_NAMES.eventsQueueUrl]: this.events.queue.queueUrl,
        [ENV_NAMES.webhookSecretArn]: this.signingSecret.secretArn,
      },
      paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(
        lambda.ParamsAndSecretsVersions.V1_0_103,
        // The fetcher's defaults: port 2773, and it waits 3 s for the extension.
        { httpPort: 2773, secretsManagerTimeout: Duration.seconds(2) },
      ),
    });
    this.handler.addEventSource(
      new eventSources.SqsEventSource(this.events.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: settings.maxConcurrency,
      }),
    );
    // The extension calls GetSecretValue only (no DescribeSecret, unlike grantRead).
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadSigningSecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.signingSecret.secretArn],
      }),
    );
    // Reads job and batch records and writes the delivery log beside them.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadRecordsWriteDeliveryLog',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [
          props.images.objectsArn(KEY_PREFIXES.jobs),
          props.images.objectsArn(KEY_PREFIXES.batches),
        ],
      }),
    );
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PresignOutputs',
        actions: ['s3:GetObject'],
        resources: [props.images.objectsArn(KEY_PREFIXES.outputs)],
      }),
    );
    // A first delivery reads a log that does not exist yet: without ListBucket S3 answers 403
    // instead of the 404 the log reader treats as empty.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'NotFoundIs404',
        actions: ['s3:ListBucket'],
        resources: [props.images.bucket.bucketArn],
      }),
    );
    if (this.handler.role !== undefined) {
      acknowledgeFindings(
        this.handler.role,
        'AwsSolutions-IAM5',
        [
          props.images.objectsFinding(KEY_PREFIXES.jobs),
          props.images.objectsFinding(KEY_PREFIXES.batches),
          props.images.objectsFinding(KEY_PREFIXES.outputs),
        ],
        'Records and delivery logs are keyed by job or batch id (jobs/<id>..., batches/<id>...) and outputs are presigned by job id; the grants name those three key prefixes only.',
      );
    }
  }
}
