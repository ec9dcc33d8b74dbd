import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type LanePlan, SCALING_BEHAVIOUR } from '../lane-plan.ts';

export interface BacklogScalingProps {
  readonly service: ecs.Ec2Service;
  readonly clusterName: string;
  readonly queue: sqs.IQueue;
  /** Bounds, target, cooldowns and wake-up steps come from here only. */
  readonly plan: LanePlan;
}

/**
 * Backlog-per-task scaling of one lane's ECS service (service-anchors §5.1, §5.2).
 *
 * Target tracking holds `visible messages / tasks` at `plan.scaling.backlogPerTaskTarget`, by
 * metric math over the SQS queue and Container Insights, where `tasks` is the larger of the running
 * and the desired task count: while new tasks are still starting (minutes for a GPU host), the
 * ratio is taken over the tasks already asked for, so Application Auto Scaling's
 * `desired x metric / target` lands on `visible / target` instead of overshooting.
 *
 * A lane with `minTasks = 0` adds the wake-up: an alarm on "messages visible and no task at all"
 * (one datapoint) drives a step policy that sets the task count from the backlog
 * (`plan.scaling.wakeSteps`), because target tracking cannot multiply up from zero tasks.
 */
export class BacklogScaling extends Construct {
  readonly taskCount: ecs.ScalableTaskCount;
  readonly targetTracking: appscaling.CfnScalingPolicy;
  readonly wakeAlarm: cloudwatch.Alarm | undefined;

  constructor(scope: Construct, id: string, props: BacklogScalingProps) {
    super(scope, id);
    const { plan, service, queue } = props;
    const scaling = plan.scaling;
    const period = Duration.seconds(SCALING_BEHAVIOUR.periodSeconds);
    this.taskCount = service.autoScaleTaskCount({
      minCapacity: scaling.minTasks,
      maxCapacity: scaling.maxTasks,
    });

    const queueDimension = [{ name: 'QueueName', value: queue.queueName }];
    const serviceDimensions = [
      { name: 'ClusterName', value: props.clusterName },
      { name: 'ServiceName', value: service.serviceName },
    ];
    const stat = (
      id: string,
      namespace: string,
      metricName: string,
      dimensions: typeof queueDimension,
      s: string,
    ) => ({
      id,
      metricStat: { metric: { namespace, metricName, dimensions }, stat: s },
      returnData: false,
    });
    this.targetTracking = new appscaling.CfnScalingPolicy(this, 'BacklogPerTask', {
      policyName: `${plan.name}-backlog-per-task`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.taskCount.scalableTargetRef.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: scaling.backlogPerTaskTarget,
        scaleOutCooldown: scaling.scaleOutCooldownSeconds,
        scaleInCooldown: scaling.scaleInCooldownSeconds,
        customizedMetricSpecification: {
          metrics: [
            stat(
              'visibleRaw',
              'AWS/SQS',
              'ApproximateNumberOfMessagesVisible',
              queueDimension,
              'Maximum',
            ),
            stat(
              'runningRaw',
              'ECS/ContainerInsights',
              'RunningTaskCount',
              serviceDimensions,
              'Average',
            ),
            stat(
              'desiredRaw',
              'ECS/ContainerInsights',
              'DesiredTaskCount',
              serviceDimensions,
              'Average',
            ),
            { id: 'visible', expression: 'FILL(visibleRaw, 0)', returnData: false },
            { id: 'running', expression: 'FILL(runningRaw, 0)', returnData: false },
            { id: 'desired', expression: 'FILL(desiredRaw, 0)', returnData: false },
            {
              id: 'tasks',
              expression: 'IF(running > desired, running, desired)',
              returnData: false,
            },
            {
              id: 'backlogPerTask',
              expression: 'IF(tasks > 0, visible / tasks, visible)',
              label: `Backlog per task (${plan.name})`,
              returnData: true,
            },
          ],
        },
      },
    });

    this.wakeAlarm = undefined;
    if (scaling.wakeSteps.length > 0) {
      const visible = queue.metricApproximateNumberOfMessagesVisible({
        period,
        statistic: 'Maximum',
      });
      const containerInsights = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName,
          dimensionsMap: { ClusterName: props.clusterName, ServiceName: service.serviceName },
          period,
          statistic: 'Average',
        });
      const backlogWithoutTasks = new cloudwatch.MathExpression({
        expression: 'IF(FILL(running, 0) == 0 AND FILL(desired, 0) == 0, FILL(visible, 0), 0)',
        usingMetrics: {
          visible,
          running: containerInsights('RunningTaskCount'),
          desired: containerInsights('DesiredTaskCount'),
        },
        period,
        label: `Backlog with no task (${plan.name})`,
      });
      const wake = new appscaling.StepScalingAction(this, 'WakeFromZero', {
        scalingTarget: this.taskCount,
        adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
        cooldown: period,
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      });
      const threshold = 1;
      scaling.wakeSteps.forEach((step, index) => {
        const next = scaling.wakeSteps[index + 1];
        wake.addAdjustment({
          adjustment: step.tasks,
          lowerBound: step.visibleAtLeast - threshold,
          ...(next === undefined ? {} : { upperBound: next.visibleAtLeast - threshold }),
        });
      });
      this.wakeAlarm = new cloudwatch.Alarm(this, 'WakeAlarm', {
        alarmDescription: `${plan.name}: messages are waiting and the lane has no task; start tasks`,
        metric: backlogWithoutTasks,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: SCALING_BEHAVIOUR.wakeEvaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.wakeAlarm.addAlarmAction(new cwActions.ApplicationScalingAction(wake));
    }
  }
}
