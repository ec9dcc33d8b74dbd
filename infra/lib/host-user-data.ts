/** Folder on the GPU host that holds model bundles; mounted into every worker task. */
export const HOST_MODEL_CACHE_DIR = '/var/lib/vibe/model-cache';
/** Numeric user and group of the worker in runtime/Dockerfile; owns the host cache. */
export const WORKER_UID = 10001;
/** Namespace the CloudWatch agent publishes GPU metrics to. */
export const GPU_METRICS_NAMESPACE = 'CWAgent';

export interface HostUserDataOptions {
  readonly modelCache: 'instance-store' | 'ebs';
  readonly spot: boolean;
}

/**
 * Shell commands run once when a GPU host boots (before ECS's own lines that join the cluster).
 * Each step tolerates failure and logs it, so a host without instance store or without the
 * CloudWatch agent package still joins the cluster:
 * - the model cache folder, on the first NVMe instance store volume when asked (fast, free,
 *   survives task restarts; lost with the instance, which only costs one download);
 * - ECS agent settings: keep pulled images (a restarted task skips the pull), spot draining;
 * - the CloudWatch agent publishing nvidia-smi utilisation and memory per Auto Scaling group,
 *   installed in the background so the host joins the cluster without waiting for it.
 */
export function hostUserData(options: HostUserDataOptions): string[] {
  const cache = HOST_MODEL_CACHE_DIR;
  const commands = [`mkdir -p ${cache}`];
  if (options.modelCache === 'instance-store') {
    commands.push(
      `VIBE_DEV=$(lsblk -dpno NAME,MODEL | awk '/Instance Storage/ {print $1; exit}')`,
      `if [ -n "$VIBE_DEV" ] && ! mountpoint -q ${cache}; then mkfs.xfs -f "$VIBE_DEV" && mount -o noatime "$VIBE_DEV" ${cache} || echo "vibe: instance store mount failed, cache stays on the root volume"; fi`,
    );
  }
  commands.push(
    `chown ${WORKER_UID}:${WORKER_UID} ${cache} && chmod 0750 ${cache}`,
    'echo ECS_IMAGE_PULL_BEHAVIOR=prefer-cached >> /etc/ecs/ecs.config',
  );
  if (options.spot) {
    commands.push('echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config');
  }
  const agentConfig = JSON.stringify({
    agent: { metrics_collection_interval: 60 },
    metrics: {
      namespace: GPU_METRICS_NAMESPACE,
      // Placeholders the agent fills in; not CloudFormation substitutions.
      append_dimensions: { AutoScalingGroupName: '$' + '{aws:AutoScalingGroupName}' },
      aggregation_dimensions: [['AutoScalingGroupName']],
      metrics_collected: {
        nvidia_gpu: {
          measurement: ['utilization_gpu', 'utilization_memory', 'memory_used', 'memory_total'],
          metrics_collection_interval: 60,
        },
      },
    },
  });
  const agentDir = '/opt/aws/amazon-cloudwatch-agent/etc';
  const agentFile = `${agentDir}/vibe-gpu.json`;
  commands.push(
    `mkdir -p ${agentDir} && cat > ${agentFile} <<'VIBE_AGENT_JSON'`,
    agentConfig,
    'VIBE_AGENT_JSON',
    // In the background: the ECS agent registers the host without waiting for the package install.
    `(dnf install -y amazon-cloudwatch-agent && /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${agentFile} || echo "vibe: CloudWatch agent not started, GPU metrics unavailable") >> /var/log/vibe-host-setup.log 2>&1 &`,
  );
  return commands;
}

/** CloudWatch agent metric names for the GPU widgets and alarms. */
export const GPU_METRICS = {
  utilization: 'nvidia_smi_utilization_gpu',
  memoryUsed: 'nvidia_smi_memory_used',
  memoryTotal: 'nvidia_smi_memory_total',
} as const;
