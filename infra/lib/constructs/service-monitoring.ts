import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { GPU_METRICS, GPU_METRICS_NAMESPACE } from '../host-user-data.ts';
import { JOB_METRICS } from '../job-metrics.ts';
import type { LanePlan } from '../lane-plan.ts';
import type { DeadLetteredQueue } from './dead-lettered-queue.ts';

export interface MonitoredLane {
  readonly plan: LanePlan;
  readonly queue: DeadLetteredQueue;
  readonly service: ecs.Ec2Service;
  readonly clusterName: string;
}

export interface ServiceMonitoringProps {
  readonly lanes: readonly MonitoredLane[];
  readonly events: DeadLetteredQueue;
  /** The batch task queue (fan-out and cancel steps). */
  readonly batchTasks: DeadLetteredQueue;
  readonly api: apigw.RestApi;
  readonly gpuHostGroups: readonly autoscaling.AutoScalingGroup[];
  /** Alarm when this share of finished jobs of a lane failed over 15 minutes, 0 to 1. */
  readonly jobFailureRateAlarm: number;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
}

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * Alarms and one dashboard. Every dead-letter queue has a depth alarm, every lane an alarm on the
 * age of its oldest message and on its job failure rate; the API has a 5xx alarm and each GPU
 * host group an alarm on GPU memory (from the CloudWatch agent, when it reports). All alarms
 * notify one SNS topic.
 */
export class ServiceMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: cwActions.SnsAction;

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'VIBE alarms',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and metric values only; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key would cost more than the data is worth.',
    });
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    this.action = new cwActions.SnsAction(this.topic);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });

    for (const lane of props.lanes) this.monitorLane(lane, props.jobFailureRateAlarm);
    this.alarmOnDeadLetters('Events', props.events);
    this.alarmOnDeadLetters('BatchTasks', props.batchTasks);
    this.monitorApi(props.api);
    this.monitorGpus(props.gpuHostGroups);
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  private alarmOnDeadLetters(id: string, queue: DeadLetteredQueue): cloudwatch.Alarm {
    return this.alarm(`${id}DeadLetters`, {
      alarmDescription: `${id}: messages reached the dead-letter queue (after ${queue.maxReceiveCount} receives); inspect and redrive`,
      metric: queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: MINUTE,
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  private monitorLane(lane: MonitoredLane, failureRate: number): void {
    const { plan, queue } = lane;
    const id = plan.name.charAt(0).toUpperCase() + plan.name.slice(1);
    const deadLetters = this.alarmOnDeadLetters(id, queue);
    const oldestAge = queue.queue.metricApproximateAgeOfOldestMessage({
      period: MINUTE,
      statistic: 'Maximum',
    });
    const oldest = this.alarm(`${id}OldestMessage`, {
      alarmDescription: `${plan.name}: a job has waited longer than ${plan.alarms.oldestMessageAgeSeconds} s`,
      metric: oldestAge,
      threshold: plan.alarms.oldestMessageAgeSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    const jobCount = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: JOB_METRICS.namespace,
        metricName,
        dimensionsMap: { [JOB_METRICS.laneDimension]: plan.name },
        period: Duration.minutes(15),
        statistic: 'Sum',
      });
    const failed = jobCount(JOB_METRICS.failed);
    const succeeded = jobCount(JOB_METRICS.succeeded);
    const rate = new cloudwatch.MathExpression({
      expression: 'IF(FILL(f, 0) + FILL(s, 0) > 0, FILL(f, 0) / (FILL(f, 0) + FILL(s, 0)), 0)',
      usingMetrics: { f: failed, s: succeeded },
      period: Duration.minutes(15),
      label: `Job failure rate (${plan.name})`,
    });
    const failures = this.alarm(`${id}JobFailureRate`, {
      alarmDescription: `${plan.name}: more than ${failureRate * 100}% of jobs failed in 15 minutes`,
      metric: rate,
      threshold: failureRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const containerInsights = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: lane.clusterName, ServiceName: lane.service.serviceName },
        period: MINUTE,
        statistic: 'Average',
      });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `## Lane ${plan.name} (${plan.gpuClass}${plan.spot ? ', spot' : ''}): backlog target ${plan.scaling.backlogPerTaskTarget}/task, ${plan.scaling.minTasks}-${plan.scaling.maxTasks} tasks`,
        width: 24,
        height: 1,
      }),
      new cloudwatch.GraphWidget({
        title: `${plan.name}: messages`,
        left: [
          queue.queue.metricApproximateNumberOfMessagesVisible({
            period: MINUTE,
            statistic: 'Maximum',
          }),
          queue.queue.metricApproximateNumberOfMessagesNotVisible({
            period: MINUTE,
            statistic: 'Maximum',
          }),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: `${plan.name}: tasks`,
        left: [
          containerInsights('RunningTaskCount'),
          containerInsights('DesiredTaskCount'),
          containerInsights('PendingTaskCount'),
        ],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: `${plan.name}: oldest message (s)`,
        left: [oldestAge],
        width: 6,
      }),
      new cloudwatch.GraphWidget({
        title: `${plan.name}: jobs`,
        left: [succeeded, failed],
        right: [rate],
        width: 6,
      }),
      new cloudwatch.AlarmStatusWidget({
        alarms: [deadLetters, oldest, failures],
        width: 24,
        height: 2,
      }),
    );
  }

  private monitorApi(api: apigw.RestApi): void {
    const serverErrors = api.metricServerError({ period: FIVE_MINUTES, statistic: 'Average' });
    this.alarm('Api5xx', {
      alarmDescription: 'API: more than 5% of requests answered 5xx for 10 minutes',
      metric: serverErrors,
      threshold: 0.05,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests',
        left: [api.metricCount({ period: MINUTE, statistic: 'Sum' })],
        right: [
          serverErrors,
          api.metricClientError({ period: FIVE_MINUTES, statistic: 'Average' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency p99 (ms)',
        left: [api.metricLatency({ period: MINUTE, statistic: 'p99' })],
        width: 12,
      }),
    );
  }

  private monitorGpus(groups: readonly autoscaling.AutoScalingGroup[]): void {
    groups.forEach((group, index) => {
      const gpuMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: GPU_METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { AutoScalingGroupName: group.autoScalingGroupName },
          period: MINUTE,
          statistic: 'Maximum',
        });
      const memoryPercent = new cloudwatch.MathExpression({
        expression: '100 * used / total',
        usingMetrics: {
          used: gpuMetric(GPU_METRICS.memoryUsed),
          total: gpuMetric(GPU_METRICS.memoryTotal),
        },
        period: MINUTE,
        label: 'GPU memory used (%)',
      });
      this.alarm(`GpuMemory${index}`, {
        alarmDescription: `GPU memory above 95% on a host of ${group.node.id} for 5 minutes (risk of out-of-memory recycling)`,
        metric: memoryPercent,
        threshold: 95,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `GPU ${group.node.id}: utilisation and memory (%)`,
          left: [gpuMetric(GPU_METRICS.utilization), memoryPercent],
          leftYAxis: { min: 0, max: 100 },
          width: 12,
        }),
      );
    });
  }
}
