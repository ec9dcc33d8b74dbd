import { type LanePlan, SCALING_BEHAVIOUR } from '../lib/lane-plan.ts';
import type { ArrivalTrace } from './arrival-traces.ts';
import { EventHeap } from './event-heap.ts';
import { type Datapoint, decideDesired, NEVER, type ScalingClock } from './scaling-decision.ts';
import type { SimulationParams } from './simulation-params.ts';

type Phase = 'unplaced' | 'pulling' | 'loading' | 'idle' | 'busy' | 'stopped';

interface Host {
  readonly launchedAt: number;
  ready: boolean;
  tasks: number;
  imageReadyAt: number | undefined;
  cacheReadyAt: number | undefined;
  emptySince: number | undefined;
  terminatedAt: number | undefined;
}

interface Task {
  phase: Phase;
  host: Host | undefined;
  stopAfterJob: boolean;
}

type SimEvent =
  | { readonly kind: 'arrival'; readonly job: number }
  | { readonly kind: 'period' }
  | { readonly kind: 'launch' }
  | { readonly kind: 'hostReady'; readonly host: Host }
  | { readonly kind: 'containerStarted'; readonly task: Task }
  | { readonly kind: 'taskReady'; readonly task: Task }
  | { readonly kind: 'jobDone'; readonly task: Task; readonly job: number };

/** What one trace did on one lane. Times in seconds from the start of the trace. */
export interface LaneRun {
  readonly lane: string;
  readonly trace: string;
  readonly arrivals: readonly number[];
  /** Completion time of each job, in arrival order. */
  readonly completions: readonly number[];
  /** End of the billing window: the fleet is back to its idle size (or the tail cap was hit). */
  readonly endTime: number;
  /** Host-seconds billed (launch request to termination). */
  readonly hostSeconds: number;
  readonly gpusPerHost: number;
  /** GPU-seconds spent running jobs. */
  readonly busyGpuSeconds: number;
  readonly peakTasks: number;
  readonly peakHosts: number;
}

/**
 * Discrete-event model of one lane: SQS queue, ECS service, backlog-per-task target tracking,
 * the wake-up step policy, the capacity provider and its hosts. Every scaling number comes from
 * the lane plan the stack deploys; `params` holds what AWS does that the stack cannot set.
 *
 * Per period (60 s): record the datapoint (visible messages, running and desired tasks); decide
 * with the datapoints older than the metric lag: wake-up (no task, messages visible: desired =
 * wake step), scale-out (3 datapoints above target: desired x metric / target), scale-in (15
 * below 90% of target); reconcile tasks; ask for hosts. Hosts start after `instanceStartSeconds`;
 * a task on a host pulls the image once per host, downloads the bundle once per host (the cache
 * survives task restarts), loads the model, then takes one job at a time. Scale-in stops idle
 * tasks first and lets busy ones finish (the worker protects itself while busy); empty hosts go
 * after `instanceScaleInDelaySeconds`.
 */
export function simulateLane(
  plan: LanePlan,
  trace: ArrivalTrace,
  params: SimulationParams,
): LaneRun {
  return new LaneSimulation(plan, trace, params).run();
}

class LaneSimulation {
  private readonly events = new EventHeap<SimEvent>();
  private readonly queue: number[] = [];
  private queueHead = 0;
  private readonly tasks: Task[] = [];
  private readonly hosts: Host[] = [];
  private readonly idle: Task[] = [];
  private readonly datapoints: Datapoint[] = [];
  private readonly completions: number[];
  private desired: number;
  private done = 0;
  private busyGpuSeconds = 0;
  private launchPending = false;
  private clock: ScalingClock = NEVER;
  private peakTasks = 0;
  private peakHosts = 0;

  constructor(
    private readonly plan: LanePlan,
    private readonly trace: ArrivalTrace,
    private readonly params: SimulationParams,
  ) {
    this.completions = new Array<number>(trace.jobs.length).fill(Number.NaN);
    this.desired = plan.scaling.minTasks;
  }

  run(): LaneRun {
    const { plan, trace, params } = this;
    if (!params.startFromZero) this.startWarm(plan.scaling.minTasks);
    trace.jobs.forEach((job, index) => {
      this.events.push(job.arrival, { kind: 'arrival', job: index });
    });
    this.events.push(SCALING_BEHAVIOUR.periodSeconds, { kind: 'period' });
    if (params.startFromZero) {
      this.reconcile(0);
      this.requestHosts(0);
    }
    const lastArrival = trace.jobs.at(-1)?.arrival ?? 0;
    let endTime = 0;
    for (let event = this.events.pop(); event !== undefined; event = this.events.pop()) {
      const now = event.time;
      if (event.value.kind === 'period') {
        this.onPeriod(now);
        if (this.isSettled(now, lastArrival) || now > lastArrival + params.maxTailSeconds) {
          endTime = now;
          break;
        }
        this.events.push(now + SCALING_BEHAVIOUR.periodSeconds, { kind: 'period' });
      } else {
        this.handle(now, event.value);
      }
    }
    const hostSeconds = this.hosts.reduce(
      (sum, host) => sum + ((host.terminatedAt ?? endTime) - host.launchedAt),
      0,
    );
    return {
      lane: plan.name,
      trace: trace.name,
      arrivals: trace.jobs.map((job) => job.arrival),
      completions: this.completions,
      endTime,
      hostSeconds,
      gpusPerHost: plan.gpu.gpusPerInstance,
      busyGpuSeconds: this.busyGpuSeconds,
      peakTasks: this.peakTasks,
      peakHosts: this.peakHosts,
    };
  }

  private startWarm(tasks: number): void {
    for (let i = 0; i < tasks; i++) {
      let host = this.hosts.find((h) => h.tasks < this.plan.gpu.gpusPerInstance);
      if (host === undefined) {
        host = {
          launchedAt: 0,
          ready: true,
          tasks: 0,
          imageReadyAt: 0,
          cacheReadyAt: 0,
          emptySince: undefined,
          terminatedAt: undefined,
        };
        this.hosts.push(host);
      }
      host.tasks++;
      const task: Task = { phase: 'idle', host, stopAfterJob: false };
      this.tasks.push(task);
      this.idle.push(task);
    }
    this.peakTasks = tasks;
    this.peakHosts = this.hosts.length;
  }

  private handle(now: number, event: Exclude<SimEvent, { kind: 'period' }>): void {
    switch (event.kind) {
      case 'arrival':
        this.queue.push(event.job);
        this.dispatch(now);
        return;
      case 'launch':
        this.launchPending = false;
        this.launchHosts(now);
        return;
      case 'hostReady':
        event.host.ready = true;
        if (event.host.tasks === 0) event.host.emptySince = now;
        this.place(now);
        return;
      case 'containerStarted':
        this.startContainer(now, event.task);
        return;
      case 'taskReady':
        if (event.task.phase !== 'loading') return;
        if (event.task.stopAfterJob) {
          this.stop(now, event.task);
          return;
        }
        event.task.phase = 'idle';
        this.idle.push(event.task);
        this.dispatch(now);
        return;
      case 'jobDone':
        this.completions[event.job] = now;
        this.done++;
        if (event.task.stopAfterJob) {
          this.stop(now, event.task);
        } else {
          event.task.phase = 'idle';
          this.idle.push(event.task);
        }
        this.dispatch(now);
        return;
    }
  }

  private dispatch(now: number): void {
    while (this.queueHead < this.queue.length) {
      const task = this.idle.pop();
      if (task === undefined) return;
      if (task.phase !== 'idle') continue;
      const job = this.queue[this.queueHead++] as number;
      const seconds =
        this.trace.jobs[job]?.size === 2048
          ? this.plan.service.px2048Seconds
          : this.plan.service.px1024Seconds;
      task.phase = 'busy';
      this.busyGpuSeconds += seconds;
      this.events.push(now + seconds, { kind: 'jobDone', task, job });
    }
  }

  private onPeriod(now: number): void {
    const running = this.tasks.filter(
      (t) => t.phase === 'loading' || t.phase === 'idle' || t.phase === 'busy',
    ).length;
    this.datapoints.push({
      time: now,
      visible: this.queue.length - this.queueHead,
      running,
      desired: this.desired,
    });
    this.decide(now);
    this.reconcile(now);
    this.place(now);
    this.requestHosts(now);
    this.retireEmptyHosts(now);
  }

  /** Application Auto Scaling, on lagged datapoints (scaling-decision.ts). */
  private decide(now: number): void {
    const decision = decideDesired(
      this.plan,
      this.datapoints,
      now,
      this.desired,
      this.params.metricLagSeconds,
      this.clock,
    );
    this.desired = decision.desired;
    this.clock = decision.clock;
  }

  /** ECS: bring the task count to the desired count. */
  private reconcile(now: number): void {
    this.peakTasks = Math.max(this.peakTasks, this.desired);
    const live = this.tasks.filter((t) => t.phase !== 'stopped');
    let active = live.filter((t) => !t.stopAfterJob).length;
    for (const task of live) {
      if (active >= this.desired) break;
      if (task.stopAfterJob) {
        task.stopAfterJob = false;
        active++;
      }
    }
    for (; active < this.desired; active++) {
      this.tasks.push({ phase: 'unplaced', host: undefined, stopAfterJob: false });
    }
    const order: Phase[] = ['unplaced', 'pulling', 'loading', 'idle', 'busy'];
    for (const phase of order) {
      for (let i = this.tasks.length - 1; i >= 0 && active > this.desired; i--) {
        const task = this.tasks[i] as Task;
        if (task.phase !== phase || task.stopAfterJob) continue;
        if (phase === 'busy' || phase === 'loading') task.stopAfterJob = true;
        else this.stop(now, task);
        active--;
      }
    }
  }

  private stop(now: number, task: Task): void {
    task.phase = 'stopped';
    const host = task.host;
    if (host === undefined) return;
    host.tasks--;
    if (host.tasks === 0) host.emptySince = now;
  }

  private place(now: number): void {
    for (const task of this.tasks) {
      if (task.phase !== 'unplaced') continue;
      const host = this.hosts.find(
        (h) => h.ready && h.terminatedAt === undefined && h.tasks < this.plan.gpu.gpusPerInstance,
      );
      if (host === undefined) return;
      host.tasks++;
      host.emptySince = undefined;
      task.host = host;
      task.phase = 'pulling';
      if (host.imageReadyAt === undefined) host.imageReadyAt = now + this.plan.gpu.imagePullSeconds;
      this.events.push(Math.max(now, host.imageReadyAt), { kind: 'containerStarted', task });
    }
  }

  private startContainer(now: number, task: Task): void {
    const host = task.host;
    if (task.phase !== 'pulling' || host === undefined) return;
    task.phase = 'loading';
    if (host.cacheReadyAt === undefined) {
      host.cacheReadyAt = now + this.params.bundleBytes / this.plan.gpu.modelDownloadBytesPerSecond;
    }
    this.events.push(Math.max(now, host.cacheReadyAt) + this.plan.gpu.modelLoadSeconds, {
      kind: 'taskReady',
      task,
    });
  }

  /** ECS capacity provider: ask for hosts when tasks cannot be placed. */
  private requestHosts(now: number): void {
    if (this.launchPending || this.hostsNeeded() <= this.liveHosts().length) return;
    this.launchPending = true;
    this.events.push(now + this.params.capacityReactionSeconds, { kind: 'launch' });
  }

  private launchHosts(now: number): void {
    const missing =
      Math.min(this.hostsNeeded(), this.plan.capacity.maxInstances) - this.liveHosts().length;
    for (let i = 0; i < missing; i++) {
      const host: Host = {
        launchedAt: now,
        ready: false,
        tasks: 0,
        imageReadyAt: undefined,
        cacheReadyAt: undefined,
        emptySince: undefined,
        terminatedAt: undefined,
      };
      this.hosts.push(host);
      this.events.push(now + this.plan.gpu.instanceStartSeconds, { kind: 'hostReady', host });
    }
    this.peakHosts = Math.max(this.peakHosts, this.liveHosts().length);
  }

  private hostsNeeded(): number {
    const tasks = this.tasks.filter((t) => t.phase !== 'stopped').length;
    return Math.ceil(tasks / this.plan.gpu.gpusPerInstance);
  }

  private liveHosts(): Host[] {
    return this.hosts.filter((h) => h.terminatedAt === undefined);
  }

  private retireEmptyHosts(now: number): void {
    for (const host of this.liveHosts()) {
      if (
        host.ready &&
        host.tasks === 0 &&
        host.emptySince !== undefined &&
        now - host.emptySince >= this.params.instanceScaleInDelaySeconds
      ) {
        if (this.hostsNeeded() < this.liveHosts().length) host.terminatedAt = now;
      }
    }
  }

  private isSettled(now: number, lastArrival: number): boolean {
    if (this.done < this.trace.jobs.length || now < lastArrival) return false;
    const minTasks = this.plan.scaling.minTasks;
    const live = this.tasks.filter((t) => t.phase !== 'stopped').length;
    return (
      this.desired === minTasks &&
      live === minTasks &&
      this.liveHosts().length === Math.ceil(minTasks / this.plan.gpu.gpusPerInstance)
    );
  }
}
