import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV_NAMES } from '../env-names.ts';
import type { LaneName } from '../lane-settings.ts';
import { acknowledgeFindings } from '../nag-findings.ts';
import { createNodeLambda, type LambdaSource } from '../node-lambda.ts';
import type { ApiSettings } from '../service-settings.ts';
import { addGatewayResponses } from './gateway-responses.ts';
import { type ImageBucket, KEY_PREFIXES } from './image-bucket.ts';

export interface EditApiProps {
  /** The API Lambda's entry (functions/src/handlers/api.ts in the app; a fixture in tests). */
  readonly source: LambdaSource;
  /** The Lambda authorizer's entry (functions/src/handlers/authorizer.ts in the app). */
  readonly authorizerSource: LambdaSource;
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
 * The public editing API: a regional REST API (usage plans exist only on REST APIs) proxying
 * `/v1/*` to one Lambda. Callers present the service's own keys (`Authorization: Bearer vibe_…`);
 * a REQUEST authorizer checks them and names each key's gateway key (apiKeySource AUTHORIZER), so
 * the key's usage plan throttles it at the gateway, across every Lambda container. Key
 * administration (the admin routes and the keys CLI) registers keys in the plans. `/healthz`,
 * `/openapi.json` and, when enabled, `/playground` are public. Gateway errors (throttling, a
 * refused key, an unknown route) answer in the API's own error body. Body size: API Gateway
 * refuses bodies over 10 MB and Lambda over 6 MB; the API app enforces the inline-image limit
 * below that and sends larger images to presigned uploads.
 */
export class EditApi extends Construct {
  readonly api: apigw.RestApi;
  readonly handler: nodejs.NodejsFunction;
  readonly authorizerHandler: nodejs.NodejsFunction;
  readonly accessLogs: logs.LogGroup;
  readonly usagePlans: apigw.UsagePlan[] = [];
  readonly #stageName: string;

  constructor(scope: Construct, id: string, props: EditApiProps) {
    super(scope, id);
    const { settings, images } = props;
    this.#stageName = settings.stageName;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'VIBE instruction-based image editing',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
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
        [ENV_NAMES.apiGatewayStage]: this.gatewayStage,
        [ENV_NAMES.playground]: settings.playground ? 'on' : 'off',
      },
    });
    this.grantLeastPrivilege(props);

    this.authorizerHandler = createNodeLambda(this, 'Authorizer', {
      ...props.authorizerSource,
      description: 'VIBE API key authorizer: bearer key to usage plan',
      memoryMiB: 256,
      timeoutSeconds: 10,
      logRetention: props.logRetention,
      environment: {
        [ENV_NAMES.mode]: 'aws',
        [ENV_NAMES.bucket]: images.bucket.bucketName,
      },
    });
    this.authorizerHandler.role?.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadKeys',
        actions: ['s3:GetObject'],
        resources: [images.objectsArn(KEY_PREFIXES.keys)],
      }),
    );
    if (this.authorizerHandler.role !== undefined) {
      acknowledgeFindings(
        this.authorizerHandler.role,
        'AwsSolutions-IAM5',
        [images.objectsFinding(KEY_PREFIXES.keys)],
        'The authorizer reads key records keys/<id>.json, one object per key, so the grant names the keys/ prefix.',
      );
    }
    const authorizer = new apigw.RequestAuthorizer(this, 'KeyAuthorizer', {
      handler: this.authorizerHandler,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheSeconds),
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
        authorizer,
        authorizationType: apigw.AuthorizationType.CUSTOM,
        apiKeyRequired: true,
        requestValidator: validator,
        requestParameters: { 'method.request.path.proxy': true },
      },
    });
    const publicPaths = ['healthz', 'openapi.json', ...(settings.playground ? ['playground'] : [])];
    for (const path of publicPaths) {
      this.api.root.addResource(path).addMethod('GET', integration, {
        authorizationType: apigw.AuthorizationType.NONE,
        apiKeyRequired: false,
      });
    }
    addGatewayResponses(this.api);

    for (const tier of settings.tiers) {
      const limits =
        tier.rateLimit === null
          ? 'no per-key rate limit'
          : `${tier.rateLimit} req/s, burst ${tier.burstLimit}`;
      const plan = this.api.addUsagePlan(`Plan-${tier.name}`, {
        name: tier.name,
        description: `VIBE ${tier.name} plan: ${limits}${tier.quotaPerDay === null ? '' : `, ${tier.quotaPerDay} requests/day`} per key`,
        ...(tier.rateLimit === null || tier.burstLimit === null
          ? {}
          : { throttle: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit } }),
        ...(tier.quotaPerDay === null
          ? {}
          : { quota: { limit: tier.quotaPerDay, period: apigw.Period.DAY } }),
        // exactOptionalPropertyTypes: the RestApi class is not assignable to IRestApi without a cast.
        apiStages: [{ api: this.api as apigw.IRestApi, stage: this.api.deploymentStage }],
      });
      this.usagePlans.push(plan);
    }
    this.grantKeyRegistration();

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
    if (settings.playground) this.allowPlaygroundUploads(images, settings);

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF by default: usage plans throttle every key, the stage throttles all together, and the API refuses bad input before storing it. Attach a web ACL to the stage where a shared IP rate limit is wanted.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Every /v1 route has the key authorizer; /healthz, /openapi.json and the optional /playground page are public on purpose and hold no data (the playground asks the user for a key).',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The API serves machine clients with the service API keys (Lambda authorizer), not Cognito users.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'JSON access logs record every request with status, latency and error message; execution logging needs an account-wide API Gateway role that this stack should not own.',
      },
    );
  }

  /**
   * `<restApiId>/<stage>`: where key administration finds the usage plans. The stage name comes
   * from the settings, not the Stage resource, which depends on the methods and so on the handler.
   */
  get gatewayStage(): string {
    return `${this.api.restApiId}/${this.#stageName}`;
  }

  /**
   * Key administration through the admin routes: read the usage plans, create a gateway key and
   * add it to one of this API's plans, delete a revoked key's gateway key. Gateway keys get ids
   * only at creation, hence the wildcard on `/apikeys/*`.
   */
  private grantKeyRegistration(): void {
    const role = this.handler.role;
    if (role === undefined) return;
    const arn = (path: string) => `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadUsagePlans',
        actions: ['apigateway:GET'],
        resources: [arn('/usageplans')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RegisterKeys',
        actions: ['apigateway:POST'],
        // Not the plans' own ids: the plans depend on the stage, the stage on the methods, the
        // methods on this function and its policy, which would close a cycle.
        resources: [arn('/apikeys'), arn('/usageplans/*/keys')],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RemoveRevokedKeys',
        actions: ['apigateway:DELETE'],
        resources: [arn('/apikeys/*')],
      }),
    );
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      [
        'Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*',
        'Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/*/keys',
      ],
      "A revoked key's gateway key is deleted by its id, which API Gateway assigns at creation; plan ids cannot be named without a dependency cycle (plan -> stage -> methods -> this role), and the code adds keys only to the plans of its own API stage.",
    );
  }

  /**
   * The playground, served by this API, PUTs large images to presigned upload URLs from the
   * browser: the bucket must allow the API's own origins when its CORS list is not `*`.
   */
  private allowPlaygroundUploads(images: ImageBucket, settings: ApiSettings): void {
    if (images.corsAllowedOrigins.includes('*')) return;
    const origins = [
      `https://${this.api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`,
      ...(settings.domainName === undefined ? [] : [`https://${settings.domainName}`]),
    ];
    images.bucket.addCorsRule({
      allowedMethods: [s3.HttpMethods.PUT],
      allowedOrigins: origins,
      allowedHeaders: ['content-type'],
      exposedHeaders: ['ETag'],
      maxAge: 3000,
    });
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
