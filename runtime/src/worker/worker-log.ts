/** Structured log fields: job id, lane, attempt, error code, timings. */
export type LogFields = Readonly<Record<string, unknown>>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The worker's logger. Lines are structured so that CloudWatch queries can filter on fields. */
export interface WorkerLog {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Discards everything (tests). */
export const silentLog: WorkerLog = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/**
 * One JSON object per line (`{"level","time","msg",...fields}`), at `level` and above. Errors in
 * fields are written as their name, code and message, never their stack.
 */
export function jsonLog(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
): WorkerLog {
  const emit =
    (at: LogLevel) =>
    (message: string, fields: LogFields = {}): void => {
      if (RANK[at] < RANK[level]) return;
      const entry: Record<string, unknown> = {
        level: at,
        time: new Date().toISOString(),
        msg: message,
      };
      for (const [key, value] of Object.entries(fields)) entry[key] = loggable(value);
      write(`${JSON.stringify(entry)}\n`);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

function loggable(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = 'code' in value ? value.code : undefined;
  return { name: value.name, ...(code === undefined ? {} : { code }), message: value.message };
}
