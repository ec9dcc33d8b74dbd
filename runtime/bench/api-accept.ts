/**
 * API accept latency and worker event-loop lag against loopback emulators (issue 3, item 6;
 * DESIGN §10: the API accepts an edit in under 50 ms at p99, and the worker's event loop answers
 * heartbeats and health checks within 50 ms at p99 while a job runs).
 *
 *   npm run bench:api [-- --requests 2000 --http-requests 1000 --throughput-requests 2000
 *                        --concurrency 16 --jobs 12 --intra-op-threads 0]
 *
 * Method (also printed):
 * - fauxqs 1.9.2 (S3 + SQS) runs in a child process on 127.0.0.1, so the emulator's own work does
 *   not run on the measured event loop; the two processes share the machine's cores. The bucket,
 *   lane queues with dead-letter queues and redrive policy, and the events queue are created as
 *   the CDK stack creates them.
 * - Accept = one `POST /v1/edits` answered 202, through the production Lambda entry
 *   (`createApiHandler`, REST API proxy events) called in this process: event mapping, JSON parse,
 *   schema and instruction validation, data-URI decode, image header inspection (sharp), S3
 *   PutObject of the input, S3 PutObject of the job record, SQS SendMessage of the job and of its
 *   `edit.queued` event, and the JSON answer. The image is a 64×48 PNG inline (a few hundred
 *   bytes), so the upload is next to nothing; API Gateway, TLS and Lambda's own overhead are not
 *   included. API keys are disabled (VIBE_AUTH=disabled): key checks are not measured. 100 warm-up
 *   requests are discarded. Then the same through the local HTTP server (node:http on 127.0.0.1,
 *   a keep-alive fetch client in the same process), and requests per second with `--concurrency`
 *   requests in flight on one process.
 * - Worker: `startWorker` in aws mode (the real EditEngine on the tiny test bundle, whose output is
 *   NOT a real edit, in its inference thread) runs `--jobs` queued 1024×1024 JPEG edits of 20
 *   steps back to back, with a 2 s lease (a heartbeat every second). Meanwhile a 10 ms interval
 *   timer measures the event loop's lag (samples taken while a job is in progress), each of the
 *   worker's heartbeat `extend` calls is timed, and a probe extends a lease of its own every 100 ms
 *   (SQS ChangeMessageVisibility to the emulator) and times the answer. A control process runs
 *   the same timer and nothing else over the same time: on a shared machine the difference between
 *   the two is what the worker itself costs its event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { SqsJobQueue } from '#core/aws/sqs-job-queue.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import type { JobMessage } from '#core/jobs/job-message.ts';
import type { JobQueue, Lease } from '#core/ports.ts';
import { buildAwsApiDeps, createApiHandler } from '#functions/handlers/api.ts';
import { startLocalApiServer } from '#functions/local/http-server.ts';
import { EditEngine } from '#runtime/engine/edit-engine.ts';
import { createServicePorts } from '#runtime/worker/service-ports.ts';
import { startWorker } from '#runtime/worker/start-worker.ts';
import {
  createFauxqsStack,
  emulatorClients,
  type FauxqsStack,
} from '#test/e2e/helpers/fauxqs-stack.ts';
import { restApiEvent } from '#test/e2e/helpers/rest-api-event.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';

const BUDGET_ACCEPT_P99_MS = 50;
const BUDGET_LAG_P99_MS = 50;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    'http-requests': { type: 'string', default: '1000' },
    'throughput-requests': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    jobs: { type: 'string', default: '12' },
    'intra-op-threads': { type: 'string', default: '0' },
  },
});
const REQUESTS = Number(values.requests);
const HTTP_REQUESTS = Number(values['http-requests']);
const THROUGHPUT_REQUESTS = Number(values['throughput-requests']);
const CONCURRENCY = Number(values.concurrency);
const JOBS = Number(values.jobs);
/** ORT threads per operator in the worker's engine; 0 lets ORT choose (the worker's default). */
const INTRA_OP_THREADS = Number(values['intra-op-threads']);
const WARM_UP = 100;

// The SDK's default credential chain (used by the Lambda entry and the worker) reads these;
// the emulator accepts any pair.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
    Number.NaN
  );
}

function summary(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const line = (label: string, s: ReturnType<typeof summary>, extra = '') =>
  console.log(
    `  ${label.padEnd(44)} n=${String(s.n).padStart(5)}  p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  max ${ms(s.max).padStart(9)}${extra}`,
  );
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** fauxqs in a child process on 127.0.0.1; resolves with its endpoint. */
async function startEmulatorProcess(): Promise<{ endpoint: string; child: ChildProcess }> {
  const code = [
    "import { buildApp } from 'fauxqs';",
    'const app = buildApp({ logger: false });',
    "await app.listen({ port: 0, host: '127.0.0.1' });",
    "process.stdout.write(String(app.server.address().port) + '\\n');",
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (exitCode) => reject(new Error(`fauxqs exited early (${exitCode})`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/**
 * A control: an idle process that runs only the same 10 ms timer while the worker is measured.
 * On a shared or loaded machine its lag shows how much of the worker's lag is the scheduler's.
 */
function startControlProcess(): { stop(): Promise<number[]> } {
  const code = [
    'const lag = []; let last = performance.now();',
    'const timer = setInterval(() => { const now = performance.now(); lag.push(Math.max(0, now - last - 10)); last = now; }, 10);',
    "process.stdin.on('data', () => {});",
    "process.stdin.on('end', () => { clearInterval(timer); process.stdout.write(JSON.stringify(lag)); });",
  ].join('\n');
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.stdin?.end();
      await exited;
      return JSON.parse(out) as number[];
    },
  };
}

async function photoLikeJpeg(size: number): Promise<Buffer> {
  const rgb = Buffer.alloc(size * size * 3);
  let seed = 12345;
  for (let i = 0; i < size * size; i += 1) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const x = i % size;
    const y = Math.floor(i / size);
    const grain = (seed >>> 24) % 24;
    rgb[i * 3] = ((x * 255) / size + grain) & 255;
    rgb[i * 3 + 1] = ((y * 255) / size + grain) & 255;
    rgb[i * 3 + 2] = (((x + y) * 127) / size + grain) & 255;
  }
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function editBody(image: Uint8Array, mime: string, instruction: string): string {
  return JSON.stringify({
    image: { dataUri: `data:${mime};base64,${Buffer.from(image).toString('base64')}` },
    instruction,
    steps: 20,
  });
}

function stackEnv(stack: FauxqsStack, bundleDir: string): Record<string, string> {
  return {
    ...stack.env,
    VIBE_AUTH: 'disabled',
    VIBE_BUNDLE_DIR: bundleDir,
    VIBE_LANES: 'interactive',
    VIBE_LEASE_SECONDS: '2',
    VIBE_LOG_LEVEL: 'error',
  };
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log('VIBE API accept and worker event-loop benchmark');
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; ${process.platform} ${process.arch}; node ${process.version}; load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    'method: fauxqs 1.9.2 in a child process on 127.0.0.1; the API through its Lambda entry in this process (REST API events) and through the local HTTP server; see the header of runtime/bench/api-accept.ts',
  );
  console.log(
    `accept = validate + S3 put input + S3 put record + SQS send job + SQS send event; 64x48 PNG inline; API keys disabled; ${WARM_UP} warm-up requests discarded\n`,
  );

  const emulator = await startEmulatorProcess();
  const clients = emulatorClients(emulator.endpoint);
  const bundleDir = await ensureTinyBundle({ precision: 'float32' });
  try {
    const small = new Uint8Array(
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#5a8cc8' } })
        .png()
        .toBuffer(),
    );
    const acceptStack = await createFauxqsStack(clients, emulator.endpoint, {
      maxReceiveCount: 5,
    });
    const env = stackEnv(acceptStack, bundleDir);
    const handler = createApiHandler(env);
    const body = editBody(small, 'image/png', 'make it winter');
    const accept = async (): Promise<number> => {
      const started = performance.now();
      const result = await handler(restApiEvent({ method: 'POST', path: '/v1/edits', body }));
      const elapsed = performance.now() - started;
      if (result.statusCode !== 202) {
        throw new Error(`Expected 202 but the API answered ${result.statusCode}: ${result.body}`);
      }
      return elapsed;
    };

    for (let i = 0; i < WARM_UP; i += 1) await accept();
    const sequential: number[] = [];
    for (let i = 0; i < REQUESTS; i += 1) sequential.push(await accept());

    const server = await startLocalApiServer({ deps: buildAwsApiDeps(parseConfig(env)), port: 0 });
    const overHttp = async (): Promise<number> => {
      const started = performance.now();
      const answer = await fetch(`${server.url}/v1/edits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await answer.text();
      const elapsed = performance.now() - started;
      if (answer.status !== 202)
        throw new Error(`Expected 202 but received ${answer.status}: ${text}`);
      return elapsed;
    };
    for (let i = 0; i < WARM_UP; i += 1) await overHttp();
    const http: number[] = [];
    for (let i = 0; i < HTTP_REQUESTS; i += 1) http.push(await overHttp());
    await server.close();

    const concurrent: number[] = [];
    let next = 0;
    const throughputStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < THROUGHPUT_REQUESTS) {
          next += 1;
          concurrent.push(await accept());
        }
      }),
    );
    const throughputSeconds = (performance.now() - throughputStart) / 1000;

    console.log('API accept (POST /v1/edits → 202)');
    const direct = summary(sequential);
    line('Lambda handler, concurrency 1', direct);
    line('local HTTP server + fetch, concurrency 1', summary(http));
    line(
      `Lambda handler, concurrency ${CONCURRENCY}`,
      summary(concurrent),
      `  → ${(THROUGHPUT_REQUESTS / throughputSeconds).toFixed(0)} requests/s on one process`,
    );
    console.log(
      `  budget: p99 < ${BUDGET_ACCEPT_P99_MS} ms at concurrency 1: ${verdict(direct.p99 < BUDGET_ACCEPT_P99_MS)}\n`,
    );

    await workerLag(clients, emulator.endpoint, bundleDir);
  } finally {
    clients.s3.destroy();
    clients.sqs.destroy();
    emulator.child.kill('SIGTERM');
  }
}

/** Runs queued jobs on the worker while the lag timer, the heartbeat timer and the probe sample. */
async function workerLag(
  clients: ReturnType<typeof emulatorClients>,
  endpoint: string,
  bundleDir: string,
): Promise<void> {
  const stack = await createFauxqsStack(clients, endpoint, { maxReceiveCount: 5 });
  const env = stackEnv(stack, bundleDir);
  const config = parseConfig(env);
  const handler = createApiHandler(env);
  const jpeg = new Uint8Array(await photoLikeJpeg(1024));
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 1) {
    const result = await handler(
      restApiEvent({
        method: 'POST',
        path: '/v1/edits',
        body: editBody(jpeg, 'image/jpeg', `make it winter, take ${i + 1}`),
      }),
    );
    ids.push((JSON.parse(result.body) as { id: string }).id);
  }

  const ports = createServicePorts(config);
  const heartbeats: number[] = [];
  const timedQueue: JobQueue<JobMessage> = {
    send: (message, options) => ports.queues.interactive.send(message, options),
    receive: async (options) =>
      (await ports.queues.interactive.receive(options)).map((lease) =>
        timedLease(lease, heartbeats),
      ),
  };
  const probeQueue = new SqsJobQueue<JobMessage>({
    client: clients.sqs,
    queueUrl: stack.queueUrls.batch,
    parse: (value) => value as JobMessage,
  });
  await probeQueue.send({ v: 1, jobId: 'job_probe', lane: 'batch', traceId: 'probe' });
  const [probe] = await probeQueue.receive({ maxMessages: 1, waitSeconds: 5, leaseSeconds: 30 });
  if (probe === undefined) throw new Error('Expected the probe message back from the emulator');

  const running = await startWorker({
    config,
    engine: new EditEngine({
      bundleDir,
      provider: { name: 'cpu' },
      intraOpThreads: INTRA_OP_THREADS,
    }),
    ports: { ...ports, queues: { ...ports.queues, interactive: timedQueue } },
    announce: () => {},
    // The per-job CloudWatch metric lines would interleave with the report.
    emitMetricLine: () => {},
  });
  const control = startControlProcess();
  const lag: number[] = [];
  const probes: number[] = [];
  let last = performance.now();
  const sampler = setInterval(() => {
    const now = performance.now();
    if (running.worker.state.phase === 'busy') lag.push(Math.max(0, now - last - 10));
    last = now;
  }, 10);
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      await probe.extend(30);
      if (running.worker.state.phase === 'busy') probes.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const started = performance.now();
  for (;;) {
    const records = await Promise.all(ids.map((id) => ports.store.get(id)));
    const done = records.filter((record) => record?.status === 'succeeded').length;
    if (done === ids.length) break;
    if (records.some((record) => record?.status === 'failed')) {
      throw new Error('Expected every benchmark job to succeed but one failed');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  probing = false;
  await prober;
  await running.close({ deadlineMs: 5_000 });
  const controlLag = await control.stop();

  const lagSummary = summary(lag);
  console.log(
    `Worker event loop while ${JOBS} jobs (1024x1024 JPEG, 20 steps, tiny bundle: NOT a real edit; ORT intra-op threads ${INTRA_OP_THREADS === 0 ? 'ORT default' : INTRA_OP_THREADS}) ran back to back in ${seconds.toFixed(1)} s`,
  );
  line('10 ms interval timer lag (while busy)', lagSummary);
  line('control: same timer in an idle process', summary(controlLag));
  line('worker heartbeat extend (lease 2 s)', summary(heartbeats));
  const probeSummary = summary(probes);
  line('probe extend every 100 ms (while busy)', probeSummary);
  console.log(
    `  budget: event-loop lag p99 < ${BUDGET_LAG_P99_MS} ms: ${verdict(lagSummary.p99 < BUDGET_LAG_P99_MS)}; heartbeat p99 < ${BUDGET_LAG_P99_MS} ms: ${verdict(probeSummary.p99 < BUDGET_LAG_P99_MS)}`,
  );
}

function timedLease(lease: Lease<JobMessage>, samples: number[]): Lease<JobMessage> {
  return {
    messageId: lease.messageId,
    message: lease.message,
    attempt: lease.attempt,
    receivedAt: lease.receivedAt,
    ack: () => lease.ack(),
    release: (delaySeconds) => lease.release(delaySeconds),
    extend: async (seconds) => {
      const started = performance.now();
      try {
        await lease.extend(seconds);
      } finally {
        samples.push(performance.now() - started);
      }
    },
  };
}

await main();
