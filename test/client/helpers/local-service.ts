import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '#core/config/env-names.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import { type LocalMode, startLocalMode } from '#runtime/local-mode/start-local-mode.ts';
import { NegateEngine, type NegateEngineOptions } from './negate-engine.ts';

export interface LocalService {
  readonly url: string;
  /** Local mode's own admin key (`vibe_…`), made at start. */
  readonly apiKey: string;
  readonly dataDir: string;
  readonly engine: NegateEngine;
  readonly mode: LocalMode;
  /** Stops the worker and the server and removes the data folder. */
  close(): Promise<void>;
}

export interface LocalServiceOptions extends NegateEngineOptions {
  /** More environment variables (core's parseConfig). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Local mode as `npm start` runs it (the API and one worker over a data folder), on 127.0.0.1 and a
 * free port, with the NegateEngine instead of a model bundle so that jobs finish in milliseconds.
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vibe-client-'));
  const engine = new NegateEngine(options);
  const config = parseConfig({
    [ENV.mode]: 'local',
    [ENV.dataDir]: dataDir,
    [ENV.shutdownGraceSeconds]: '1',
    ...options.env,
  });
  const mode = await startLocalMode({
    config,
    port: 0,
    engine,
    announce: () => {},
    workerSettings: { progressIntervalMs: 0, idleWaitSeconds: 1, backoffSeconds: () => 0 },
  });
  const apiKey = mode.apiKey?.token;
  if (apiKey === undefined) {
    await mode.close({ deadlineMs: 0 });
    throw new Error('Expected local mode to make its own API key on a fresh data folder');
  }
  return {
    url: mode.url,
    apiKey,
    dataDir,
    engine,
    mode,
    close: async () => {
      await mode.close({ deadlineMs: 0 });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
