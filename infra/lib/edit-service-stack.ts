import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { BatchTasks } from './constructs/batch-tasks.ts';
import { DeadLetteredQueue } from './constructs/dead-lettered-queue.ts';
import { EditApi } from './constructs/edit-api.ts';
import { capacityKey, type GpuCapacityRequest, GpuCluster } from './constructs/gpu-cluster.ts';
import { GpuWorkerService } from './constructs/gpu-worker-service.ts';
import { ImageBucket } from './constructs/image-bucket.ts';
import { ServiceMonitoring } from './constructs/service-monitoring.ts';
import { ServiceNetwork } from './constructs/service-network.ts';
import { WebhookDelivery } from './constructs/webhook-delivery.ts';
import { LANE_NAMES, type LaneName } from './lane-settings.ts';
import { logRetention } from './log-retention.ts';
import type { LambdaSource } from './node-lambda.ts';
import type { ResolvedSettings } from './service-settings.ts';

export interface EditServiceStackProps extends StackProps {
  /** Validated settings with every lane planned (`resolveSettings`). */
  readonly settings: ResolvedSettings;
  /** The API Lambda's entry. */
  readonly apiSource: LambdaSource;
  /** The REST API's Lambda authorizer (bearer keys → usage plans). */
  readonly authorizerSource: LambdaSource;
  /** The webhook delivery Lambda's entry. */
  readonly webhookSource: LambdaSource;
  /** The batch task Lambda's entry. */
  readonly batchTasksSource: LambdaSource;
  /**
   * Makes the GPU worker image in the stack's scope (an asset built from runtime/Dockerfile, or a
   * pushed ECR image); called once.
   */
  readonly workerImage: (scope: Construct) => ecs.ContainerImage;
}

/**
 * The whole edit service. Wires the constructs together; resource details live in the constructs
 * and every number comes from `settings`.
 */
export class EditServiceStack extends Stack {
  readonly images: ImageBucket;
  readonly laneQueues: Readonly<Record<LaneName, DeadLetteredQueue>>;
  readonly api: EditApi;
  readonly webhooks: WebhookDelivery;
  readonly batchTasks: BatchTasks;
  readonly gpu: GpuCluster;
  readonly workers: Readonly<Record<LaneName, GpuWorkerService>>;
  readonly monitoring: ServiceMonitoring;

  constructor(scope: Construct, id: string, props: EditServiceStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const retention = logRetention(settings.observability.logRetentionDays);

    const network = new ServiceNetwork(this, 'Network', {
      maxAzs: settings.network.maxAzs,
      natGateways: settings.network.natGateways,
      flowLogRetention: retention,
    });
    this.images = new ImageBucket(this, 'Images', {
      ...settings.storage,
      modelPrefix: settings.model.prefix,
    });
    const laneQueue = (lane: LaneName) => {
      const plan = settings.plans[lane];
      return new DeadLetteredQueue(this, `${pascal(lane)}Queue`, {
        visibilityTimeoutSeconds: plan.queue.visibilityTimeoutSeconds,
        maxReceiveCount: plan.queue.maxReceiveCount,
        retentionDays: plan.queue.retentionDays,
        receiveWaitSeconds: plan.queue.receiveWaitSeconds,
      });
    };
    this.laneQueues = { interactive: laneQueue('interactive'), batch: laneQueue('batch') };

    this.webhooks = new WebhookDelivery(this, 'Webhooks', {
      source: props.webhookSource,
      settings: settings.events,
      images: this.images,
      logRetention: retention,
    });
    this.batchTasks = new BatchTasks(this, 'BatchTasks', {
      source: props.batchTasksSource,
      settings: settings.batchTasks,
      images: this.images,
      laneQueues: {
        interactive: this.laneQueues.interactive.queue,
        batch: this.laneQueues.batch.queue,
      },
      eventsQueue: this.webhooks.events.queue,
      logRetention: retention,
    });
    this.api = new EditApi(this, 'Api', {
      source: props.apiSource,
      authorizerSource: props.authorizerSource,
      settings: settings.api,
      images: this.images,
      laneQueues: {
        interactive: this.laneQueues.interactive.queue,
        batch: this.laneQueues.batch.queue,
      },
      eventsQueue: this.webhooks.events.queue,
      batchTasksQueue: this.batchTasks.tasks.queue,
      logRetention: retention,
    });

    const workerImage = props.workerImage(this);
    this.gpu = new GpuCluster(this, 'Gpu', { network });
    for (const request of capacityRequests(settings)) this.gpu.addCapacity(request);
    const worker = (lane: LaneName) => {
      const plan = settings.plans[lane];
      const capacity = this.gpu.capacity(capacityKey(plan.gpuClass, plan.spot));
      if (capacity === undefined) {
        throw new Error(`Expected a capacity provider for lane ${lane} (${plan.gpuClass})`);
      }
      return new GpuWorkerService(this, `${pascal(lane)}Workers`, {
        plan,
        cluster: this.gpu.cluster,
        capacity,
        image: workerImage,
        images: this.images,
        queue: this.laneQueues[lane].queue,
        laneQueueUrls: {
          interactive: this.laneQueues.interactive.queue.queueUrl,
          batch: this.laneQueues.batch.queue.queueUrl,
        },
        eventsQueue: this.webhooks.events.queue,
        modelVersion: settings.model.version,
        logRetention: retention,
      });
    };
    this.workers = { interactive: worker('interactive'), batch: worker('batch') };

    this.monitoring = new ServiceMonitoring(this, 'Monitoring', {
      lanes: LANE_NAMES.map((lane) => ({
        plan: settings.plans[lane],
        queue: this.laneQueues[lane],
        service: this.workers[lane].service,
        clusterName: this.gpu.cluster.clusterName,
      })),
      events: this.webhooks.events,
      batchTasks: this.batchTasks.tasks,
      api: this.api.api,
      gpuHostGroups: this.gpu.allCapacities.map((capacity) => capacity.autoScalingGroup),
      jobFailureRateAlarm: settings.observability.jobFailureRateAlarm,
      ...(settings.observability.alarmEmail === undefined
        ? {}
        : { alarmEmail: settings.observability.alarmEmail }),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url });
    new CfnOutput(this, 'ApiGatewayStage', {
      value: this.api.gatewayStage,
      description:
        'Set VIBE_API_GATEWAY_STAGE to this (with VIBE_MODE=aws and VIBE_BUCKET) for `npm run keys` to register keys in the usage plans',
    });
    new CfnOutput(this, 'BucketName', { value: this.images.bucket.bucketName });
    new CfnOutput(this, 'ModelS3Uri', {
      value: this.images.modelUri(settings.model.version),
      description: 'Upload the bundle (manifest.json and its files) here before the workers start',
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhooks.signingSecret.secretArn });
  }
}

/** One capacity request per GPU class and purchase option, with the lanes' instance bounds added up. */
export function capacityRequests(settings: ResolvedSettings): GpuCapacityRequest[] {
  const requests = new Map<string, GpuCapacityRequest>();
  for (const lane of LANE_NAMES) {
    const plan = settings.plans[lane];
    const key = capacityKey(plan.gpuClass, plan.spot);
    const existing = requests.get(key);
    requests.set(key, {
      gpuClass: plan.gpuClass,
      profile: plan.gpu,
      spot: plan.spot,
      maxInstances: (existing?.maxInstances ?? 0) + plan.capacity.maxInstances,
    });
  }
  return [...requests.values()];
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
