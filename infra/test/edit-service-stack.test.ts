import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '#core/errors.ts';
import { HTTP_ERRORS } from '#functions/api/http-errors.ts';
import { GATEWAY_ERROR_RESPONSES } from '../lib/constructs/gateway-responses.ts';
import {
  CONTAINER_HEALTH_CHECK,
  CONTAINER_MODEL_CACHE_DIR,
} from '../lib/constructs/gpu-worker-service.ts';
import { createEditServiceApp } from '../lib/edit-service-app.ts';
import { ENV_NAMES } from '../lib/env-names.ts';
import { WORKER_UID } from '../lib/host-user-data.ts';
import { resolveSettings } from '../lib/service-settings.ts';
import { buildTestApp, FIXTURE_HANDLER, PROJECT_ROOT } from './helpers/test-app.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

const settings = resolveSettings();
let template: Template;
let resources: Record<string, Resource>;

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

/** The IAM statements attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(rolePrefix: string): Statement[] {
  const roleIds = Object.keys(resources).filter(
    (id) => resources[id]?.Type === 'AWS::IAM::Role' && id.startsWith(rolePrefix),
  );
  const roleId = only(roleIds);
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actionsOf(rolePrefix: string): string[] {
  return [...new Set(statementsOf(rolePrefix).flatMap((s) => [s.Action].flat()))].sort();
}

/** The object key patterns (`<prefix>/*`) that `action` is granted on by the role, sorted. */
function objectPrefixesOf(rolePrefix: string, action: string): string[] {
  return statementsOf(rolePrefix)
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat())
    .map((r) => /"\/([a-z]+)\/\*"/.exec(JSON.stringify(r))?.[1] ?? JSON.stringify(r))
    .sort();
}

function workerContainer(lane: 'Interactive' | 'Batch') {
  const [, task] = only(
    ofType('AWS::ECS::TaskDefinition').filter(([id]) => id.startsWith(`${lane}Workers`)),
  );
  const containers = task.Properties.ContainerDefinitions as Record<string, unknown>[];
  const container = only(containers);
  const environment = Object.fromEntries(
    (container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
  );
  return { task, container, environment };
}

function queueProps(prefix: string): Record<string, unknown> {
  return only(
    ofType('AWS::SQS::Queue').filter(([id]) => id.startsWith(prefix) && !id.includes('DeadLetter')),
  )[1].Properties;
}

beforeAll(() => {
  template = buildTestApp().template();
  resources = template.toJSON().Resources as Record<string, Resource>;
});

describe('EditServiceStack queues', () => {
  it('gives every queue a dead-letter queue and every dead-letter queue an alarm', () => {
    const queues = ofType('AWS::SQS::Queue');
    const sources = queues.filter(([, q]) => q.Properties.RedrivePolicy !== undefined);
    const deadLetters = queues.filter(([, q]) => q.Properties.RedrivePolicy === undefined);
    expect(sources.map(([id]) => id.replace(/Queue[0-9A-F]{8}$/, ''))).toEqual([
      'Interactive',
      'Batch',
      'WebhooksEvents',
      'BatchTasks',
    ]);
    expect(deadLetters).toHaveLength(4);

    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(a.Properties));
    for (const [deadLetterId] of deadLetters) {
      const target = sources.find(([, q]) =>
        JSON.stringify(q.Properties.RedrivePolicy).includes(`"${deadLetterId}"`),
      );
      expect(target, `${deadLetterId} is the dead-letter queue of some queue`).toBeDefined();
      const watching = alarms.filter(
        (a) =>
          a.includes('ApproximateNumberOfMessagesVisible') &&
          a.includes(`"${deadLetterId}","QueueName"`),
      );
      expect(watching, `alarm on ${deadLetterId}`).toHaveLength(1);
    }
  });

  it('sets each lane queue from the lane plan: visibility = lease, receive count above the retry limit', () => {
    for (const [prefix, plan] of [
      ['InteractiveQueue', settings.plans.interactive],
      ['BatchQueue', settings.plans.batch],
    ] as const) {
      const queue = queueProps(prefix);
      expect(queue.VisibilityTimeout).toBe(plan.worker.leaseSeconds);
      expect(queue.ReceiveMessageWaitTimeSeconds).toBe(20);
      expect(queue.RedrivePolicy).toMatchObject({ maxReceiveCount: plan.queue.maxReceiveCount });
      expect(queue.SqsManagedSseEnabled).toBe(true);
    }
  });

  it('gives the worker the same lease, heartbeat, attempts and drain as its queue and task', () => {
    for (const [lane, prefix] of [
      ['Interactive', 'InteractiveQueue'],
      ['Batch', 'BatchQueue'],
    ] as const) {
      const queue = queueProps(prefix);
      const { container, environment } = workerContainer(lane);
      const lease = Number(environment[ENV_NAMES.leaseSeconds]);
      const maxReceiveCount = (queue.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount;

      expect(lease).toBe(queue.VisibilityTimeout);
      expect(Number(environment[ENV_NAMES.maxReceiveCount])).toBeGreaterThan(
        Number(environment[ENV_NAMES.maxAttempts]),
      );
      expect(Number(environment[ENV_NAMES.maxAttempts])).toBeLessThan(maxReceiveCount);
      expect(container.StopTimeout).toBeGreaterThanOrEqual(
        Number(environment[ENV_NAMES.drainSeconds]) + 5,
      );
    }
  });

  it('routes failed webhook deliveries back one by one (partial batch responses)', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: settings.events.batchSize,
    });
    expect(queueProps('WebhooksEvents').VisibilityTimeout).toBe(
      settings.events.visibilityTimeoutSeconds,
    );
  });

  it('dead-letters an event after the 8 delivery attempts and keeps it 14 days', () => {
    const events = queueProps('WebhooksEvents');
    expect(events.RedrivePolicy).toMatchObject({ maxReceiveCount: 8 });
    expect(events.MessageRetentionPeriod).toBe(14 * 86_400);
  });

  it('runs batch tasks from their own queue with partial batch responses', () => {
    const tasks = queueProps('BatchTasksQueue');
    expect(tasks.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
    expect(tasks.VisibilityTimeout).toBe(720);
    const [, fn] = only(
      ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('BatchTasksHandler')),
    );
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Timeout: 120, MemorySize: 1024 });
    const taskQueueId = only(
      ofType('AWS::SQS::Queue').filter(
        ([id]) => id.startsWith('BatchTasksQueue') && !id.includes('DeadLetter'),
      ),
    )[0];
    const environment = (fn.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(environment[ENV_NAMES.batchTasksQueueUrl]).toEqual({ Ref: taskQueueId });
    const [, mapping] = only(
      ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) =>
        JSON.stringify(m.Properties.EventSourceArn).includes(taskQueueId),
      ),
    );
    expect(mapping.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
    const [, api] = only(
      ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('ApiHandler')),
    );
    expect(
      (api.Properties.Environment as { Variables: Record<string, unknown> }).Variables[
        ENV_NAMES.batchTasksQueueUrl
      ],
    ).toEqual({ Ref: taskQueueId });
  });
});

describe('EditServiceStack bucket', () => {
  it('blocks public access, encrypts, and denies requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'images/' }),
    });
    for (const [, policy] of ofType('AWS::S3::BucketPolicy')) {
      expect(policy.Properties.PolicyDocument).toMatchObject({
        Statement: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
    expect(ofType('AWS::S3::BucketPolicy')).toHaveLength(2);
  });

  it('defaults uploads to 1 day, idempotency and limits to 2, and never expires API keys', () => {
    expect(settings.storage).toMatchObject({
      uploadsExpireDays: 1,
      idempotencyExpireDays: 2,
      limitsExpireDays: 2,
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: 1 })]),
      },
    });
    expect(JSON.stringify(template.findResources('AWS::S3::Bucket'))).not.toContain('keys/');
  });

  it('expires each prefix after its configured days and allows presigned browser uploads', () => {
    const storage = settings.storage;
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'inputs/', ExpirationInDays: storage.inputsExpireDays }),
          Match.objectLike({ Prefix: 'uploads/', ExpirationInDays: storage.uploadsExpireDays }),
          Match.objectLike({ Prefix: 'outputs/', ExpirationInDays: storage.outputsExpireDays }),
          Match.objectLike({ Prefix: 'jobs/', ExpirationInDays: storage.jobRecordsExpireDays }),
          Match.objectLike({ Prefix: 'batches/', ExpirationInDays: storage.batchesExpireDays }),
          Match.objectLike({ Prefix: 'idempotency/', ExpirationInDays: 2 }),
          Match.objectLike({ Prefix: 'limits/', ExpirationInDays: 2 }),
        ]),
      },
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({ AllowedMethods: ['PUT', 'GET', 'HEAD'], AllowedOrigins: ['*'] }),
        ],
      },
    });
  });
});

describe('EditServiceStack GPU workers', () => {
  it('asks for exactly one GPU per task, mounts the host model cache and checks health', () => {
    for (const lane of ['Interactive', 'Batch'] as const) {
      const { task, container, environment } = workerContainer(lane);

      expect(container.ResourceRequirements).toEqual([{ Type: 'GPU', Value: '1' }]);
      expect(container.MountPoints).toEqual([
        { ContainerPath: CONTAINER_MODEL_CACHE_DIR, ReadOnly: false, SourceVolume: 'model-cache' },
      ]);
      expect(task.Properties.Volumes).toEqual([
        { Host: { SourcePath: '/var/lib/vibe/model-cache' }, Name: 'model-cache' },
      ]);
      expect(container.HealthCheck).toMatchObject({
        Command: ['CMD', CONTAINER_HEALTH_CHECK],
        StartPeriod: 300,
      });
      expect(container.LinuxParameters).toMatchObject({ InitProcessEnabled: true });
      expect(environment[ENV_NAMES.executionProvider]).toBe('cuda');
      expect(environment[ENV_NAMES.modelCacheDir]).toBe(CONTAINER_MODEL_CACHE_DIR);
      expect(JSON.stringify(environment[ENV_NAMES.modelS3Uri])).toContain('/models/vibe/v1/');
    }
  });

  it('scales each lane between its plan bounds toward its backlog target', () => {
    const targets = ofType('AWS::ApplicationAutoScaling::ScalableTarget');
    const policies = ofType('AWS::ApplicationAutoScaling::ScalingPolicy');
    for (const [lane, plan] of [
      ['Interactive', settings.plans.interactive],
      ['Batch', settings.plans.batch],
    ] as const) {
      const [targetId, target] = only(targets.filter(([id]) => id.startsWith(`${lane}Workers`)));
      expect(target.Properties).toMatchObject({
        MinCapacity: plan.scaling.minTasks,
        MaxCapacity: plan.scaling.maxTasks,
      });
      const tracking = only(
        policies.filter(
          ([, p]) =>
            p.Properties.PolicyType === 'TargetTrackingScaling' &&
            JSON.stringify(p.Properties.ScalingTargetId).includes(targetId),
        ),
      )[1].Properties.TargetTrackingScalingPolicyConfiguration as Record<string, unknown>;
      expect(tracking).toMatchObject({
        TargetValue: plan.scaling.backlogPerTaskTarget,
        ScaleOutCooldown: plan.scaling.scaleOutCooldownSeconds,
        ScaleInCooldown: plan.scaling.scaleInCooldownSeconds,
      });
      const metrics = (
        tracking.CustomizedMetricSpecification as { Metrics: { Id: string; Expression?: string }[] }
      ).Metrics;
      expect(metrics.find((m) => m.Id === 'backlogPerTask')?.Expression).toBe(
        'IF(tasks > 0, visible / tasks, visible)',
      );
    }
  });

  it('wakes only the scale-to-zero lane, with one step per planned wake step', () => {
    const steps = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').filter(
      ([, p]) => p.Properties.PolicyType === 'StepScaling',
    );
    const [id, policy] = only(steps);
    expect(id.startsWith('BatchWorkers')).toBe(true);
    const config = policy.Properties.StepScalingPolicyConfiguration as {
      AdjustmentType: string;
      StepAdjustments: { ScalingAdjustment: number; MetricIntervalLowerBound: number }[];
    };
    expect(config.AdjustmentType).toBe('ExactCapacity');
    expect(
      config.StepAdjustments.map((s) => ({
        visibleAtLeast: s.MetricIntervalLowerBound + 1,
        tasks: s.ScalingAdjustment,
      })),
    ).toEqual(settings.plans.batch.scaling.wakeSteps);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      EvaluationPeriods: 1,
      AlarmActions: [{ Ref: id }],
    });
  });

  it('runs hosts on the GPU AMI with IMDSv2 and an encrypted root volume, spot only for batch', () => {
    for (const [, lt] of ofType('AWS::EC2::LaunchTemplate')) {
      const data = lt.Properties.LaunchTemplateData as Record<string, unknown>;
      expect(JSON.stringify(data.ImageId)).toContain('amazonlinux2023gpurecommended');
      expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
      expect(data.BlockDeviceMappings).toEqual([
        {
          DeviceName: '/dev/xvda',
          Ebs: expect.objectContaining({ Encrypted: true, VolumeType: 'gp3' }),
        },
      ]);
    }
    const groups = Object.fromEntries(
      ofType('AWS::AutoScaling::AutoScalingGroup').map(([id, g]) => [
        id.replace(/Hosts.*$/, ''),
        g.Properties,
      ]),
    );
    expect(groups.GpuH100Ondemand).toMatchObject({
      MaxSize: String(settings.plans.interactive.capacity.maxInstances),
      MixedInstancesPolicy: { InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 100 } },
    });
    expect(groups.GpuL4Spot).toMatchObject({
      MaxSize: String(settings.plans.batch.capacity.maxInstances),
      CapacityRebalance: true,
      MixedInstancesPolicy: { InstancesDistribution: { OnDemandPercentageAboveBaseCapacity: 0 } },
    });
    template.resourcePropertiesCountIs(
      'AWS::ECS::CapacityProvider',
      {
        AutoScalingGroupProvider: Match.objectLike({
          ManagedDraining: 'ENABLED',
          ManagedTerminationProtection: 'ENABLED',
        }),
      },
      2,
    );
  });

  it('matches the worker image: cache path, health check and user', () => {
    const dockerfile = readFileSync(`${PROJECT_ROOT}runtime/Dockerfile`, 'utf8');

    expect(dockerfile).toContain(`VIBE_MODEL_CACHE_DIR=${CONTAINER_MODEL_CACHE_DIR}`);
    expect(dockerfile).toContain(`CMD ["${CONTAINER_HEALTH_CHECK}"]`);
    expect(dockerfile).toMatch(new RegExp(`^USER ${WORKER_UID}:${WORKER_UID}$`, 'm'));
  });
});

describe('EditServiceStack grants', () => {
  it('never grants a whole service or every resource except for actions that have no resource scope', () => {
    const unscoped = new Set([
      'ecr:GetAuthorizationToken',
      'ecs:DiscoverPollEndpoint',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'cloudwatch:PutMetricData',
      'ecs:Poll',
      'ecs:StartTelemetrySession',
    ]);
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] })
        .Statement) {
        const actions = [statement.Action].flat();
        expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
        if ([statement.Resource].flat().includes('*')) {
          expect(
            actions.filter((a) => !unscoped.has(a)),
            JSON.stringify(statement),
          ).toEqual([]);
        }
      }
    }
  });

  it('lets the API write jobs and enqueue, but not consume queues or touch models', () => {
    expect(actionsOf('ApiHandlerRole')).toEqual([
      'apigateway:DELETE',
      'apigateway:GET',
      'apigateway:POST',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:GetQueueAttributes',
      'sqs:SendMessage',
    ]);
    const resources = JSON.stringify(statementsOf('ApiHandlerRole').map((s) => s.Resource));
    expect(resources).not.toContain('/models/');
    expect(objectPrefixesOf('ApiHandlerRole', 's3:PutObject')).toEqual([
      'batches',
      'idempotency',
      'inputs',
      'jobs',
      'keys',
      'limits',
      'uploads',
    ]);
    expect(objectPrefixesOf('ApiHandlerRole', 's3:DeleteObject')).toEqual(['inputs', 'uploads']);
    const sends = JSON.stringify(
      statementsOf('ApiHandlerRole').filter((s) => [s.Action].flat().includes('sqs:SendMessage')),
    );
    expect(sends).toContain('BatchTasksQueue');
    const gatewayPaths = statementsOf('ApiHandlerRole')
      .filter((s) => [s.Action].flat().some((action) => String(action).startsWith('apigateway:')))
      .flatMap((s) => [s.Resource].flat())
      .map((resource) => JSON.stringify(resource).replace(/^.*::(\/[^"]*)".*$/, '$1'))
      .sort();
    // Key registration only: list plans, create a key, add it to a plan, delete a revoked key.
    expect(gatewayPaths).toEqual(['/apikeys', '/apikeys/*', '/usageplans', '/usageplans/*/keys']);
  });

  it('lets the authorizer read key records and nothing else', () => {
    expect(actionsOf('ApiAuthorizerRole')).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
    ]);
    expect(objectPrefixesOf('ApiAuthorizerRole', 's3:GetObject')).toEqual(['keys']);
  });

  it('lets the batch task Lambda submit and track jobs, but not touch keys, outputs or models', () => {
    expect(actionsOf('BatchTasksHandlerRole')).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    expect(objectPrefixesOf('BatchTasksHandlerRole', 's3:PutObject')).toEqual([
      'batches',
      'inputs',
      'jobs',
      'limits',
    ]);
    expect(objectPrefixesOf('BatchTasksHandlerRole', 's3:DeleteObject')).toEqual(['inputs']);
    const resources = JSON.stringify(statementsOf('BatchTasksHandlerRole').map((s) => s.Resource));
    expect(resources).not.toContain('/keys/');
    expect(resources).not.toContain('/outputs/');
    expect(resources).not.toContain('/models/');
  });

  it('lets each worker consume only its own lane and write only outputs and job records', () => {
    expect(actionsOf('InteractiveWorkersTaskRole')).toEqual([
      'ecs:GetTaskProtection',
      'ecs:UpdateTaskProtection',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:SendMessage',
    ]);
    for (const [lane, own, other] of [
      ['InteractiveWorkersTaskRole', 'InteractiveQueue', 'BatchQueue'],
      ['BatchWorkersTaskRole', 'BatchQueue', 'InteractiveQueue'],
    ] as const) {
      const statements = statementsOf(lane);
      const consume = JSON.stringify(
        statements.filter((s) => [s.Action].flat().includes('sqs:ReceiveMessage')),
      );
      expect(consume).toContain(own);
      expect(consume).not.toContain(other);
      const writes = JSON.stringify(
        statements.filter((s) => [s.Action].flat().includes('s3:PutObject')).map((s) => s.Resource),
      );
      expect(writes).toContain('/outputs/*');
      expect(writes).toContain('/jobs/*');
      expect(writes).not.toContain('/inputs/*');
      expect(writes).not.toContain('/models/');
    }
  });

  it('lets the webhook deliverer log deliveries beside job and batch records, read its secret', () => {
    expect(objectPrefixesOf('WebhooksHandlerRole', 's3:PutObject')).toEqual(['batches', 'jobs']);
    expect(objectPrefixesOf('WebhooksHandlerRole', 's3:GetObject')).toEqual([
      'batches',
      'jobs',
      'outputs',
    ]);
    const secretReads = statementsOf('WebhooksHandlerRole').filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('secretsmanager:')),
    );
    expect(only(secretReads)).toMatchObject({
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: expect.stringMatching(/^WebhooksSigningSecret/) },
    });
    expect(actionsOf('WebhooksHandlerRole')).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
  });
});

describe('EditServiceStack webhook secret', () => {
  it('attaches the Parameters and Secrets extension on the port the fetcher calls', () => {
    const [, fn] = only(
      ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('WebhooksHandler')),
    );
    expect((fn.Properties.Layers as unknown[]).length).toBe(1);
    // CDK maps the region to the extension's layer ARN, version 1.0.103 for arm64.
    expect(JSON.stringify(fn.Properties.Layers)).toContain('1x0x103xarm64');
    expect(
      (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    ).toMatchObject({
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
      [ENV_NAMES.webhookSecretArn]: { Ref: expect.stringMatching(/^WebhooksSigningSecret/) },
    });
  });
});

describe('EditServiceStack API and monitoring', () => {
  it('checks bearer keys with the authorizer on every /v1 method, which names the usage plan key', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    const authorizers = ofType('AWS::ApiGateway::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0] ?? ['', { Properties: {} }];
    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: settings.api.authorizerCacheSeconds,
    });
    const guarded = methods.filter(([, m]) => m.Properties.AuthorizationType === 'CUSTOM');
    const open = methods.filter(([, m]) => m.Properties.AuthorizationType === 'NONE');
    expect(guarded.length + open.length).toBe(methods.length);
    for (const [, method] of guarded) {
      expect(method.Properties.ApiKeyRequired).toBe(true);
      expect(method.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
    const pathOf = (resourceRef: unknown) => {
      const id = (resourceRef as { Ref?: string }).Ref ?? '';
      return String(template.toJSON().Resources[id]?.Properties?.PathPart);
    };
    expect(guarded.map(([, m]) => pathOf(m.Properties.ResourceId))).toEqual(['{proxy+}']);
    expect(open.map(([, m]) => [m.Properties.HttpMethod, pathOf(m.Properties.ResourceId)])).toEqual(
      [
        ['GET', 'healthz'],
        ['GET', 'openapi.json'],
      ],
    );
    for (const [, method] of open) expect(method.Properties.ApiKeyRequired).toBe(false);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          VIBE_API_GATEWAY_STAGE: {
            'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('^Api[0-9A-F]{8}$') }, '/prod']],
          },
          VIBE_PLAYGROUND: 'off',
        }),
      },
    });
  });

  it('limits each key by its usage plan, and the stage limits all keys together', () => {
    const [standard, unmetered] = settings.api.tiers;
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: standard?.name,
      Throttle: { RateLimit: standard?.rateLimit, BurstLimit: standard?.burstLimit },
      Quota: { Limit: standard?.quotaPerDay, Period: 'DAY' },
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: unmetered?.name,
      Throttle: Match.absent(),
      Quota: Match.absent(),
    });
    // No API keys in the template: keys are made by key administration, never by the stack.
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ Format: Match.stringLikeRegexp('apiKeyId') }),
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: settings.api.rateLimit })],
    });
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x' });
  });

  it('answers gateway errors in the API error body, with the status the API gives each code', () => {
    const responses = ofType('AWS::ApiGateway::GatewayResponse');
    expect(responses.map(([, r]) => r.Properties.ResponseType).sort()).toEqual(
      GATEWAY_ERROR_RESPONSES.map((r) => r.type.responseType).sort(),
    );
    type GatewayResponseProps = {
      StatusCode: string;
      ResponseTemplates: Record<string, string>;
      ResponseParameters: Record<string, string>;
    };
    const propsOf = (r: Resource) => r.Properties as unknown as GatewayResponseProps;
    for (const [, resource] of responses) {
      const response = { Properties: propsOf(resource) };
      const template = String(response.Properties.ResponseTemplates['application/json']);
      // What API Gateway pastes in: the authorizer's escaped message, a reason, a request id.
      const filled = template
        .replaceAll('$context.authorizer.message', 'key 0123456789abcdef (\\"ci\\") was revoked')
        .replaceAll('$context.authorizer.reason', 'revoked')
        .replaceAll('$context.requestId', 'c0ffee-1');
      const body = JSON.parse(filled) as { error: { code: ErrorCode; requestId: string } };
      expect(body.error.requestId).toBe('c0ffee-1');
      expect(Number(response.Properties.StatusCode), body.error.code).toBe(
        HTTP_ERRORS[body.error.code].status,
      );
      expect(response.Properties.ResponseParameters['gatewayresponse.header.Content-Type']).toBe(
        "'application/json'",
      );
    }
    const byType = (type: string) => {
      const found = responses.find(([, r]) => r.Properties.ResponseType === type);
      return found === undefined ? undefined : propsOf(found[1]);
    };
    expect(byType('ACCESS_DENIED')?.StatusCode).toBe('401');
    expect(byType('THROTTLED')?.ResponseParameters['gatewayresponse.header.Retry-After']).toBe(
      "'1'",
    );
    expect(byType('MISSING_AUTHENTICATION_TOKEN')?.StatusCode).toBe('404');
    // Every 429 and 503 says when to come back.
    for (const [, resource] of responses) {
      const props = propsOf(resource);
      if (props.StatusCode === '429' || props.StatusCode === '503') {
        expect(props.ResponseParameters['gatewayresponse.header.Retry-After']).toMatch(/^'\d+'$/);
      }
    }
  });

  it('serves the playground when asked, and lets it upload to the bucket from the API origin', () => {
    const custom = buildTestApp({
      context: {
        'vibe.api.playground': 'true',
        'vibe.storage.corsAllowedOrigins': '["https://app.example.com"]',
      },
    }).template();
    const paths = Object.values(custom.toJSON().Resources as Record<string, Resource>)
      .filter((r) => r.Type === 'AWS::ApiGateway::Resource')
      .map((r) => r.Properties.PathPart);
    expect(paths).toContain('playground');
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ VIBE_PLAYGROUND: 'on' }) },
    });
    const bucket = Object.values(custom.toJSON().Resources as Record<string, Resource>).find(
      (r) => r.Type === 'AWS::S3::Bucket' && r.Properties.CorsConfiguration !== undefined,
    );
    const cors = bucket?.Properties.CorsConfiguration as {
      CorsRules: { AllowedOrigins: unknown[]; AllowedMethods: string[] }[];
    };
    const rules = cors.CorsRules;
    expect(rules).toHaveLength(2);
    expect(rules[0]?.AllowedOrigins).toEqual(['https://app.example.com']);
    expect(JSON.stringify(rules[1]?.AllowedOrigins)).toMatch(/execute-api/);
    expect(rules[1]?.AllowedMethods).toEqual(['PUT']);
  });

  it('alarms on dead letters, oldest message, failure rate, API 5xx and GPU memory', () => {
    const descriptions = ofType('AWS::CloudWatch::Alarm').map(([, a]) =>
      String(a.Properties.AlarmDescription),
    );
    const count = (pattern: RegExp) => descriptions.filter((d) => pattern.test(d)).length;

    expect(count(/dead-letter queue/)).toBe(4);
    expect(count(/^BatchTasks: messages reached the dead-letter queue \(after 5 receives\)/)).toBe(
      1,
    );
    expect(count(/has waited longer than/)).toBe(2);
    expect(count(/of jobs failed/)).toBe(2);
    expect(count(/^API:/)).toBe(1);
    expect(count(/GPU memory/)).toBe(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: settings.plans.batch.alarms.oldestMessageAgeSeconds,
      MetricName: 'ApproximateAgeOfOldestMessage',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('createEditServiceApp', () => {
  it('takes settings from context into the template', () => {
    const custom = buildTestApp({
      context: { 'vibe.lanes.batch.maxTasks': '4', 'vibe.storage.outputsExpireDays': '3' },
    }).template();

    custom.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 4,
    });
    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'outputs/', ExpirationInDays: 3 })]),
      },
    });
  });

  it('fails the synth with the name of an invalid setting', () => {
    expect(() =>
      createEditServiceApp({
        projectRoot: PROJECT_ROOT,
        apiEntry: FIXTURE_HANDLER,
        webhookEntry: FIXTURE_HANDLER,
        nag: false,
        context: { 'vibe.lanes.interactive.maxAttempts': '9' },
      }),
    ).toThrow('Invalid setting "lanes.interactive.maxReceiveCount"');
  });

  it('refuses event and batch task queues that do not fit their consumers', () => {
    expect(() => resolveSettings({ events: { maxReceiveCount: 5 } })).toThrow(
      'Invalid setting "events.maxReceiveCount"',
    );
    // 27.6 h of webhook retry waits do not fit in one day.
    expect(() => resolveSettings({ events: { retentionDays: 1 } })).toThrow(
      'Invalid setting "events.retentionDays"',
    );
    expect(() => resolveSettings({ batchTasks: { visibilityTimeoutSeconds: 600 } })).toThrow(
      'Invalid setting "batchTasks.visibilityTimeoutSeconds"',
    );
    expect(resolveSettings({ storage: { limitsExpireDays: 3 } }).storage.limitsExpireDays).toBe(3);
  });
});
