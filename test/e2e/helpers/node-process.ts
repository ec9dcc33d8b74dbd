import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach } from 'vitest';

/** A TypeScript entry point run as `node --import tsx <entry>`, with its output collected. */
export interface NodeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves once the output contains `text`; rejects if the process exits first or on timeout. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (null after a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<NodeProcess>();

/**
 * Call at the top of a test file: every process started with `startNode` that is still running
 * after a test is killed (SIGKILL), so that a failed test leaves nothing behind.
 */
export function killLeftoverProcesses(): void {
  afterEach(async () => {
    for (const process of started) {
      if (process.child.exitCode === null && process.child.signalCode === null) {
        process.child.kill('SIGKILL');
        await process.exited;
      }
    }
    started.clear();
  });
}

/** Starts `node --import tsx <entry>` with exactly `env` (plus PATH). */
export function startNode(entry: string, env: Readonly<Record<string, string>>): NodeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const handle: NodeProcess = {
    child,
    pid: child.pid ?? -1,
    output: () => text,
    exited,
    waitForOutput: (wanted, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!text.includes(wanted)) return;
          finish();
          resolve();
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`Expected "${wanted}" in the output within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(({ code, signal }) => {
          if (!text.includes(wanted)) {
            finish();
            reject(
              new Error(
                `Expected "${wanted}" in the output but the process exited (${code ?? signal}):\n${text}`,
              ),
            );
          }
        });
        check();
      }),
  };
  started.add(handle);
  return handle;
}
