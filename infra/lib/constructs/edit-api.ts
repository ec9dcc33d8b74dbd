import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV_NAMES } from '../env-names.ts';
import type { LaneName } from '../lane-settings.ts';
import { acknowledgeFindings } from '../nag-findings.ts';
import { createNodeLambda, type LambdaSource } from '../node-lambda.ts';
import type { ApiSettings } from '../service-settings.ts';
import { type ImageBucket, KEY_PREFIXES } from './image-bucket.ts';

export interface EditApiProps {
  /** The API Lambda's entry (functions/src/handlers/api.ts in the app; a fixture in tests). */
  readonly source: LambdaSource;
  readonly settings: ApiSettings;
  readonly images: ImageBucket;
  readonly laneQueues: Readonly<Record<LaneName, sqs.IQueue>>;
  /** Cancel and expiry emit events without a worker. */
  readonly eventsQueue: sqs.IQueue;
  /** `POST /v1/batches` sends fan-out tasks; cancel sends cancel tasks. */
  readonly batchTasksQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
}

/** Binary bodies API Gateway passes to the Lambda base64-encoded (inline image uploads). */
const BINARY_MEDIA_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'application/octet-stream',
  'multipart/form-data',
];

/**
 * The public editing API: a regional REST API (API keys and usage plans exist only on REST APIs)
 * proxying `/v1/*` to one Lambda. Every method requires an API key; each usage plan tier sets a
 * rate, burst and daily quota per key; the stage throttles all keys together and writes JSON
 * access logs. Body size: API Gateway refuses bodies over 10 MB and Lambda over 6 MB; the API
 * app enforces the inline-image limit below that and sends larger images to presigned uploads.
 */
export class EditApi extends Construct {
  readonly api: apigw.RestApi;
  readonly handler: nodejs.NodejsFunction;
  readonly accessLogs: logs.LogGroup;
  readonly usagePlans: apigw.UsagePlan[] = [];

  constructor(scope: Construct, id: string, props: EditApiProps) {
    super(scope, id);
    const { settings, images } = props;
    this.handler = createNodeLambda(this, 'Handler', {
      ...props.source,
      description: 'VIBE edit API',
      memoryMiB: settings.lambdaMemoryMiB,
      timeoutSeconds: settings.lambdaTimeoutSeconds,
      logRetention: props.logRetention,
      environment: {
        [ENV_NAMES.mode]: 'aws',
        [ENV_NAMES.bucket]: images.bucket.bucketName,
        [ENV_NAMES.queueUrlInteractive]: props.laneQueues.interactive.queueUrl,
        [ENV_NAMES.queueUrlBatch]: props.laneQueues.batch.queueUrl,
        [ENV_NAMES.eventsQueueUrl]: props.eventsQueue.queueUrl,
        [ENV_NAMES.batchTasksQueueUrl]: props.batchTasksQueue.queueUrl,
      },
    });
    this.grantLeastPrivilege(props);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'VIBE instruction-based image editing',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      binaryMediaTypes: BINARY_MEDIA_TYPES,
      cloudWatchRole: false,
      deployOptions: {
        stageName: settings.stageName,
        throttlingRateLimit: settings.rateLimit,
        throttlingBurstLimit: settings.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });
    // Checks the path parameter and the body against a model where one is set; the Lambda
    // validates every field (DESIGN §9).
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new apigw.LambdaIntegration(this.handler);
    this.api.root.addResource('v1').addProxy({
      anyMethod: true,
      defaultIntegration: integration,
      defaultMethodOptions: {
        apiKeyRequired: true,
        requestValidator: validator,
        requestParameters: { 'method.request.path.proxy': true },
      },
    });
    for (const tier of settings.tiers) {
      const plan = this.api.addUsagePlan(`Plan-${tier.name}`, {
        name: `${tier.name}`,
        description: `VIBE ${tier.name} tier: ${tier.rateLimit} req/s, ${tier.quotaPerDay} req/day per key`,
        throttle: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit },
        quota: { limit: tier.quotaPerDay, period: apigw.Period.DAY },
        // exactOptionalPropertyTypes: the RestApi class is not assignable to IRestApi without a cast.
        apiStages: [{ api: this.api as apigw.IRestApi, stage: this.api.deploymentStage }],
      });
      for (const keyName of tier.keyNames) {
        plan.addApiKey(this.api.addApiKey(`Key-${keyName}`, { apiKeyName: keyName }));
      }
      this.usagePlans.push(plan);
    }
    if (settings.domainName !== undefined && settings.certificateArn !== undefined) {
      const domain = this.api.addDomainName('Domain', {
        domainName: settings.domainName,
        certificate: acm.Certificate.fromCertificateArn(
          this,
          'Certificate',
          settings.certificateArn,
        ),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      domain.node.addDependency(this.api.deploymentStage);
    }

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF by default: usage plans throttle and cap every key, and the API refuses bad input before storing it. Attach a web ACL to the stage where a shared IP rate limit is wanted.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Callers authenticate with API keys tied to usage plans (DESIGN §9); the Lambda scopes every job to the key id that created it.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'The API serves machine clients with API keys, not Cognito users.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'JSON access logs record every request with status, latency and error message; execution logging needs an account-wide API Gateway role that this stack should not own.',
      },
    );
  }

  /**
   * Exactly what the API's use cases do: write inputs (and delete one whose enqueue failed), job
   * and batch records, API keys, idempotency records and per-key limits; read uploads and outputs
   * (presigned GETs are signed with this role), delete consumed uploads, list the bucket (so a
   * missing key is a 404, not a 403), enqueue jobs, events and batch tasks, read lane depths.
   */
  private grantLeastPrivilege(props: EditApiProps): void {
    const { images } = props;
    const role = this.handler.role;
    if (role === undefined) return;
    const objects = (...prefixes: string[]) => prefixes.map((prefix) => images.objectsArn(prefix));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadWriteRecords',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: objects(
          KEY_PREFIXES.jobs,
          KEY_PREFIXES.batches,
          KEY_PREFIXES.keys,
          KEY_PREFIXES.idempotency,
          KEY_PREFIXES.limits,
        ),
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
        sid: 'PresignUploads',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: objects(KEY_PREFIXES.uploads),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PresignOutputs',
        actions: ['s3:GetObject'],
        resources: objects(KEY_PREFIXES.outputs),
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
        KEY_PREFIXES.keys,
        KEY_PREFIXES.idempotency,
        KEY_PREFIXES.limits,
        KEY_PREFIXES.inputs,
        KEY_PREFIXES.uploads,
        KEY_PREFIXES.outputs,
      ].map((prefix) => images.objectsFinding(prefix)),
      'Object keys are per job, batch, key or day (inputs/<id>, jobs/<id>.json, keys/<id>.json, limits/quota/<key>/<day>.json, ...), so grants name a key prefix, never the whole bucket.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'Enqueue',
        actions: ['sqs:SendMessage'],
        resources: [
          props.laneQueues.interactive.queueArn,
          props.laneQueues.batch.queueArn,
          props.eventsQueue.queueArn,
          props.batchTasksQueue.queueArn,
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

function accessLogFormat(): apigw.AccessLogFormat {
  const f = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: f.contextRequestId(),
      time: f.contextRequestTime(),
      ip: f.contextIdentitySourceIp(),
      apiKeyId: f.contextIdentityApiKeyId(),
      method: f.contextHttpMethod(),
      path: f.contextResourcePath(),
      status: f.contextStatus(),
      length: f.contextResponseLength(),
      latencyMs: f.contextResponseLatency(),
      integrationLatencyMs: f.contextIntegrationLatency(),
      error: f.contextErrorMessage(),
      errorType: f.contextErrorResponseType(),
      integrationError: f.contextIntegrationErrorMessage(),
    }),
  );
}
