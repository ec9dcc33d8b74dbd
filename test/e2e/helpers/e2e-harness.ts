/**
 * Shared pieces of the end-to-end tests: temporary data folders, test images, the real engine on
 * the tiny test bundle (its output is NOT a real edit), waiting, and reading what the flow left on
 * the local disk.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import type { AppConfig } from '#core/config/parse-config.ts';
import type { JobEvent } from '#core/jobs/job-event.ts';
import type { EventQueue } from '#core/ports.ts';
import { apiConfigFromAppConfig } from '#functions/api/api-config.ts';
import { type LocalApiServer, startLocalApiServer } from '#functions/local/http-server.ts';
import { createServicePorts, type ServicePorts } from '#runtime/worker/service-ports.ts';

/** Call at the top of a test file: a temporary root removed after the file's last test. */
export function useTempRoot(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `vibe-e2e-${prefix}-`));
  afterAll(() => rm(root, { recursive: true, force: true }));
  return () => join(root, randomUUID());
}

/** A small flat-colour PNG, a valid input for the API and the tiny bundle. */
export async function testPng(width = 64, height = 48): Promise<Uint8Array> {
  const png = await sharp({
    create: { width, height, channels: 3, background: { r: 90, g: 140, b: 200 } },
  })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/**
 * A PNG whose header is intact (the API reads only the header, so it accepts it) but whose pixel
 * data is garbage: the worker's full decode fails with INVALID_IMAGE, a permanent error.
 */
export async function corruptPng(): Promise<Uint8Array> {
  const png = Buffer.from(await testPng());
  const idat = png.indexOf(Buffer.from('IDAT'));
  const length = png.readUInt32BE(idat - 4);
  png.fill(0x55, idat + 4, idat + 4 + length);
  return new Uint8Array(png);
}

/** Resolves once `check` holds, polling every 25 ms; rejects after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Expected ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The keys under `outputs/` in a local data folder. */
export async function localOutputs(dataDir: string): Promise<string[]> {
  try {
    return (await readdir(join(dataDir, 'bucket', 'outputs'))).map((name) => `outputs/${name}`);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
}

export interface LocalApi {
  readonly url: string;
  readonly ports: ServicePorts;
  readonly server: LocalApiServer;
}

/**
 * The local HTTP API alone on 127.0.0.1 and a free port, over the data folder of `config`, for
 * tests whose workers run in child processes. The same composition as local mode's, minus the
 * worker.
 */
export async function startLocalApi(config: AppConfig): Promise<LocalApi> {
  const secret = randomBytes(32).toString('base64url');
  let ports: ServicePorts | undefined;
  const server = await startLocalApiServer({
    port: 0,
    blobUrlSecret: secret,
    deps: (url) => {
      ports = createServicePorts({
        ...config,
        api: { ...config.api, publicBaseUrl: url, urlSigningSecret: secret },
      });
      return {
        blobs: ports.blobs,
        jobs: ports.store,
        queues: ports.queues,
        events: ports.events,
        config: apiConfigFromAppConfig(config),
        log: () => {},
      };
    },
  });
  if (ports === undefined) throw new Error('Expected the server to build its ports');
  return { url: server.url, ports, server };
}

/** A port that was free a moment ago on 127.0.0.1, for a child process that must be told one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The types of job `id`'s state-change events (`edit.progress` left out), in record-version order,
 * once its event of type `last` has arrived (the worker publishes it after writing the record, so a
 * test that saw the record may be early). Events are received and acked; those of other jobs are
 * dropped.
 */
export async function jobEventTypes(
  events: EventQueue,
  id: string,
  last: string,
  timeoutMs = 10_000,
): Promise<string[]> {
  const seen: JobEvent[] = [];
  await waitFor(
    `the ${last} event of job ${id}`,
    async () => {
      const leases = await events.receive({ maxMessages: 10, waitSeconds: 0, leaseSeconds: 30 });
      for (const lease of leases) {
        const event = lease.message;
        if (event.job.id === id && event.type !== 'edit.progress') seen.push(event);
        await lease.ack();
      }
      return seen.some((event) => event.type === last);
    },
    timeoutMs,
  );
  return seen.sort((a, b) => a.job.version - b.job.version).map((event) => event.type);
}
