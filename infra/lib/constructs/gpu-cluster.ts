import { Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { GpuClassName, GpuClassProfile } from '../gpu-classes.ts';
import { GPU_METRICS_NAMESPACE, hostUserData } from '../host-user-data.ts';
import { acknowledgeFindings } from '../nag-findings.ts';
import type { ServiceNetwork } from './service-network.ts';

export interface GpuClusterProps {
  readonly network: ServiceNetwork;
}

/** One kind of GPU host: a class, bought on demand or on spot. */
export interface GpuCapacityRequest {
  readonly gpuClass: GpuClassName;
  readonly profile: GpuClassProfile;
  readonly spot: boolean;
  /** Upper bound of the Auto Scaling group (ECS managed scaling moves the desired count). */
  readonly maxInstances: number;
}

/** A capacity provider and the Auto Scaling group behind it. */
export interface GpuCapacity {
  readonly provider: ecs.AsgCapacityProvider;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly request: GpuCapacityRequest;
}

/**
 * The ECS cluster of the GPU workers (Container Insights on: it publishes RunningTaskCount, the
 * divisor of backlog per task) and one capacity provider per GPU class and purchase option. Hosts
 * run the ECS GPU-optimised Amazon Linux 2023 AMI (an SSM parameter resolved at deploy, no
 * lookup), IMDSv2 only, encrypted gp3 root volumes, no inbound rules; ECS managed scaling, managed
 * termination protection and managed draining; spot groups diversify instance types with the
 * price-capacity-optimised strategy and rebalance on interruption notices.
 */
export class GpuCluster extends Construct {
  readonly cluster: ecs.Cluster;
  private readonly network: ServiceNetwork;
  private readonly capacities = new Map<string, GpuCapacity>();

  constructor(scope: Construct, id: string, props: GpuClusterProps) {
    super(scope, id);
    this.network = props.network;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
  }

  /** All capacity providers created so far. */
  get allCapacities(): GpuCapacity[] {
    return [...this.capacities.values()];
  }

  /**
   * Adds the capacity provider for one GPU class and purchase option. Lanes that share it must
   * add their instance bounds together before asking (see `capacityKey`).
   * @throws Error when that provider exists already.
   */
  addCapacity(request: GpuCapacityRequest): GpuCapacity {
    const key = capacityKey(request.gpuClass, request.spot);
    if (this.capacities.has(key)) {
      throw new Error(
        `Expected one capacity request per GPU class and purchase option, got a second for ${key}`,
      );
    }
    const capacity = this.createCapacity(pascal(key), request);
    this.capacities.set(key, capacity);
    return capacity;
  }

  /** The capacity provider added for `key`, if any. */
  capacity(key: string): GpuCapacity | undefined {
    return this.capacities.get(key);
  }

  private createCapacity(id: string, request: GpuCapacityRequest): GpuCapacity {
    const { profile, spot } = request;
    const role = new iam.Role(this, `${id}HostRole`, {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `GPU hosts (${id}) of the VIBE cluster`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GpuMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': GPU_METRICS_NAMESPACE } },
      }),
    );
    const securityGroup = new ec2.SecurityGroup(this, `${id}HostSecurityGroup`, {
      vpc: this.network.vpc,
      description: 'VIBE GPU hosts: no inbound, all outbound (S3, SQS, ECR, CloudWatch)',
      allowAllOutbound: true,
    });
    const userData = ec2.UserData.forLinux();
    userData.addCommands(...hostUserData({ modelCache: profile.modelCache, spot }));
    const launchTemplate = new ec2.LaunchTemplate(this, `${id}LaunchTemplate`, {
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
      role,
      securityGroup,
      userData,
      requireImdsv2: true,
      ...(this.network.hostsNeedPublicIp ? { associatePublicIpAddress: true } : {}),
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(profile.rootVolumeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    const autoScalingGroup = new autoscaling.AutoScalingGroup(this, `${id}Hosts`, {
      vpc: this.network.vpc,
      vpcSubnets: this.network.hostSubnets,
      minCapacity: 0,
      maxCapacity: request.maxInstances,
      capacityRebalance: spot,
      mixedInstancesPolicy: {
        launchTemplate,
        launchTemplateOverrides: profile.instanceTypes.map((type) => ({
          instanceType: new ec2.InstanceType(type),
        })),
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: spot ? 0 : 100,
          onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.PRIORITIZED,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
    });
    Validations.of(autoScalingGroup).acknowledge({
      id: 'AwsSolutions-AS3',
      reason:
        'ECS managed scaling starts and stops hosts many times a day (the batch lane scales to zero); scaling activity is in the group history and the dashboard, and notifications would only be noise.',
    });
    const provider = new ecs.AsgCapacityProvider(this, `${id}Provider`, {
      autoScalingGroup,
      enableManagedScaling: true,
      enableManagedTerminationProtection: true,
      enableManagedDraining: true,
      targetCapacityPercent: 100,
      instanceWarmupPeriod: Math.max(60, Math.round(profile.instanceStartSeconds)),
      machineImageType: ecs.MachineImageType.AMAZON_LINUX_2,
    });
    this.cluster.addAsgCapacityProvider(provider);
    acknowledgeFindings(
      role,
      'AwsSolutions-IAM5',
      ['Resource::*', 'Action::ecs:Submit*'],
      "Host role as ECS configures it: ecs:Submit* on this cluster only; ecs:DiscoverPollEndpoint, ecr:GetAuthorizationToken and the agent's log calls have no resource-level permissions; cloudwatch:PutMetricData is limited to the CWAgent namespace by condition.",
    );
    Validations.of(autoScalingGroup).acknowledge({
      id: 'AwsSolutions-EC26',
      reason:
        "The rule cannot read a mixed-instances policy (it throws); the launch template's only volume is an encrypted gp3 root volume, which the stack tests assert.",
    });
    return { provider, autoScalingGroup, request };
  }
}

/** Identifies a capacity provider: `h100-ondemand`, `l4-spot`. */
export function capacityKey(gpuClass: GpuClassName, spot: boolean): string {
  return `${gpuClass}-${spot ? 'spot' : 'ondemand'}`;
}

function pascal(key: string): string {
  return key
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
