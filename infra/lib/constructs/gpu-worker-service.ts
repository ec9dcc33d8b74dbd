import { type CfnResource, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV_NAMES } from '../env-names.ts';
import { HOST_MODEL_CACHE_DIR } from '../host-user-data.ts';
import type { LanePlan } from '../lane-plan.ts';
import type { LaneName } from '../lane-settings.ts';
import { acknowledgeFindings, refFinding } from '../nag-findings.ts';
import { BacklogScaling } from './backlog-scaling.ts';
import type { GpuCapacity } from './gpu-cluster.ts';
import { type ImageBucket, KEY_PREFIXES } from './image-bucket.ts';

/** Where the worker image keeps the model cache (runtime/Dockerfile sets the same default). */
export const CONTAINER_MODEL_CACHE_DIR = '/var/cache/vibe/models';
/** The worker image's health check script (runtime/docker/health-check.sh). */
export const CONTAINER_HEALTH_CHECK = '/app/runtime/docker/health-check.sh';

const QUEUE_URL_ENV: Readonly<Record<LaneName, string>> = {
  interactive: ENV_NAMES.queueUrlInteractive,
  batch: ENV_NAMES.queueUrlBatch,
};

export interface GpuWorkerServiceProps {
  /** The lane: lease, heartbeat, attempts, drain, stop timeout and scaling all come from it. */
  readonly plan: LanePlan;
  readonly cluster: ecs.Cluster;
  readonly capacity: GpuCapacity;
  readonly image: ecs.ContainerImage;
  readonly images: ImageBucket;
  /** The lane's job queue. */
  readonly queue: sqs.IQueue;
  /** The URLs of every lane queue (the worker's config reads all; it polls only its lane). */
  readonly laneQueueUrls: Readonly<Record<LaneName, string>>;
  readonly eventsQueue: sqs.IQueue;
  /** The bundle version folder under the bucket's model prefix. */
  readonly modelVersion: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * One lane's GPU workers: an ECS service on the lane's capacity provider whose task asks for one
 * GPU, runs one job at a time, heartbeats its lease at half its length, drains on SIGTERM within
 * the stop timeout, keeps the model bundle in a host folder that survives task restarts, reports
 * health through the image's health check, and logs to its own log group. Scaled by
 * `BacklogScaling`. Deployments start new tasks before stopping old ones and roll back on failure.
 */
export class GpuWorkerService extends Construct {
  readonly service: ecs.Ec2Service;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;
  readonly scaling: BacklogScaling;

  constructor(scope: Construct, id: string, props: GpuWorkerServiceProps) {
    super(scope, id);
    const { plan, images } = props;
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `VIBE ${plan.name} worker`,
    });
    this.grantLeastPrivilege(taskRole, props);

    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'Task', {
      networkMode: ecs.NetworkMode.BRIDGE,
      taskRole,
    });
    this.taskDefinition.addVolume({
      name: 'model-cache',
      host: { sourcePath: HOST_MODEL_CACHE_DIR },
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const modelUri = images.modelUri(props.modelVersion);
    this.container = this.taskDefinition.addContainer('Worker', {
      image: props.image,
      essential: true,
      gpuCount: 1,
      cpu: plan.gpu.taskCpuUnits,
      memoryReservationMiB: plan.gpu.taskMemoryMiB,
      stopTimeout: Duration.seconds(plan.worker.stopTimeoutSeconds),
      linuxParameters: new ecs.LinuxParameters(this, 'Linux', { initProcessEnabled: true }),
      ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 65_536, hardLimit: 65_536 }],
      environment: {
        [ENV_NAMES.mode]: 'aws',
        [ENV_NAMES.lane]: plan.name,
        [ENV_NAMES.bucket]: images.bucket.bucketName,
        // core's config wants every lane's URL in aws mode; this service polls only its own.
        [QUEUE_URL_ENV.interactive]: props.laneQueueUrls.interactive,
        [QUEUE_URL_ENV.batch]: props.laneQueueUrls.batch,
        [ENV_NAMES.eventsQueueUrl]: props.eventsQueue.queueUrl,
        [ENV_NAMES.leaseSeconds]: String(plan.worker.leaseSeconds),
        [ENV_NAMES.maxAttempts]: String(plan.worker.maxAttempts),
        [ENV_NAMES.maxReceiveCount]: String(plan.queue.maxReceiveCount),
        [ENV_NAMES.drainSeconds]: String(plan.worker.drainSeconds),
        [ENV_NAMES.modelS3Uri]: modelUri,
        [ENV_NAMES.modelCacheDir]: CONTAINER_MODEL_CACHE_DIR,
        [ENV_NAMES.executionProvider]: 'cuda',
        AWS_REGION: Stack.of(this).region,
      },
      healthCheck: {
        command: ['CMD', CONTAINER_HEALTH_CHECK],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        // Covers a cold host: image pull, bundle download and session creation.
        startPeriod: Duration.seconds(300),
      },
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: plan.name,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(8),
      }),
    });
    this.container.addMountPoints({
      sourceVolume: 'model-cache',
      containerPath: CONTAINER_MODEL_CACHE_DIR,
      readOnly: false,
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only non-secret settings (resource names, lane timings, the bundle URI); the worker has no secrets.',
    });

    this.service = new ecs.Ec2Service(this, 'Service', {
      // exactOptionalPropertyTypes: the Cluster class is not assignable to ICluster without a cast.
      cluster: props.cluster as ecs.ICluster,
      taskDefinition: this.taskDefinition,
      capacityProviderStrategies: [
        { capacityProvider: props.capacity.provider.capacityProviderName, weight: 1 },
      ],
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      placementStrategies: [ecs.PlacementStrategy.packedByMemory()],
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    // The capacity provider must be attached to the cluster before the service names it.
    this.service.node.addDependency(props.capacity.provider);
    this.scaling = new BacklogScaling(this, 'Scaling', {
      service: this.service,
      clusterName: props.cluster.clusterName,
      queue: props.queue,
      plan,
    });
    // The worker protects its task from scale-in while a job runs (ECS agent endpoint).
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ProtectOwnTaskWhileBusy',
        actions: ['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection'],
        resources: [props.cluster.arnForTasks('*')],
      }),
    );
    acknowledgeFindings(
      taskRole,
      'AwsSolutions-IAM5',
      [
        ...[
          KEY_PREFIXES.inputs,
          KEY_PREFIXES.jobs,
          KEY_PREFIXES.outputs,
          `${images.modelPrefix}/${props.modelVersion}`,
        ].map((prefix) => images.objectsFinding(prefix)),
        `Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/${refFinding(props.cluster.node.defaultChild as CfnResource)}/*`,
      ],
      "Object grants name the key prefixes the worker uses (per-job keys, one bundle version); task protection names this cluster's tasks, whose ids are not known at deploy time.",
    );
    const executionRole = this.taskDefinition.executionRole;
    if (executionRole !== undefined) {
      acknowledgeFindings(
        executionRole,
        'AwsSolutions-IAM5',
        ['Resource::*'],
        'ecr:GetAuthorizationToken has no resource-level permissions; image pulls and log writes name their repository and log group.',
      );
    }
  }

  /**
   * The worker reads inputs, job records and its bundle version; writes outputs and job records;
   * lists the bucket (404 rather than 403 for a missing key); consumes only its lane's queue;
   * publishes events; and may protect its own task from scale-in while it runs a job.
   */
  private grantLeastPrivilege(role: iam.Role, props: GpuWorkerServiceProps): void {
    const { images } = props;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadInputsJobsAndBundle',
        actions: ['s3:GetObject'],
        resources: [
          images.objectsArn(KEY_PREFIXES.inputs),
          images.objectsArn(KEY_PREFIXES.jobs),
          images.objectsArn(`${images.modelPrefix}/${props.modelVersion}`),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOutputsAndJobs',
        actions: ['s3:PutObject'],
        resources: [images.objectsArn(KEY_PREFIXES.outputs), images.objectsArn(KEY_PREFIXES.jobs)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NotFoundIs404',
        actions: ['s3:ListBucket'],
        resources: [images.bucket.bucketArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ConsumeLane',
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
        ],
        resources: [props.queue.queueArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishEvents',
        actions: ['sqs:SendMessage'],
        resources: [props.eventsQueue.queueArn],
      }),
    );
  }
}
