import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ServiceNetworkProps {
  /** Availability zones to spread GPU hosts over. @default 2 */
  readonly maxAzs: number;
  /**
   * NAT gateways for the private subnets. 0 puts the GPU hosts in public subnets with public IPs
   * and no inbound rules (no NAT cost, about 33 USD/month per gateway). @default 1
   */
  readonly natGateways: number;
  readonly flowLogRetention: logs.RetentionDays;
}

/**
 * The VPC of the GPU hosts: an S3 gateway endpoint so model downloads and image transfers skip the
 * NAT (free, and faster), and a flow log. Built without lookups (env-agnostic synth).
 */
export class ServiceNetwork extends Construct {
  /**
   * Typed as the interface: with exactOptionalPropertyTypes the Vpc class is not assignable to
   * IVpc (it declares `vpnGatewayId?: string`), and every consumer wants IVpc.
   */
  readonly vpc: ec2.IVpc;
  /** Where GPU hosts are placed. */
  readonly hostSubnets: ec2.SubnetSelection;
  /** True when hosts sit in public subnets and need a public IP for egress. */
  readonly hostsNeedPublicIp: boolean;

  constructor(scope: Construct, id: string, props: ServiceNetworkProps) {
    super(scope, id);
    const hasNat = props.natGateways > 0;
    const subnetConfiguration: ec2.SubnetConfiguration[] = [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 },
    ];
    if (hasNat) {
      subnetConfiguration.push({
        name: 'Hosts',
        subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
        cidrMask: 20,
      });
    }
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs,
      natGateways: props.natGateways,
      subnetConfiguration,
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    }) as ec2.IVpc;
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      retention: props.flowLogRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    this.hostSubnets = {
      subnetType: hasNat ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
    };
    this.hostsNeedPublicIp = !hasNat;
  }
}
