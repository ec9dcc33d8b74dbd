/**
 * The state of a message in FsJobQueue lives in its file name, so that every state change is one
 * atomic rename(2). A rename whose source is gone fails with ENOENT, which makes it a
 * compare-and-swap across processes: of two consumers claiming the same message, one wins.
 *
 *   <visibleAt ms, 15 digits>.<receive count>.<lease token | "ready">.<message id>.json
 */
export interface QueueEntry {
  readonly visibleAt: number;
  readonly receiveCount: number;
  /** The token of the lease that holds the message, or undefined when nobody holds it. */
  readonly token: string | undefined;
  readonly messageId: string;
}

const NAME = /^(\d{15})\.(\d+)\.(ready|[0-9a-f]{16})\.([0-9a-f-]{36})\.json$/;
const READY = 'ready';

export function entryName(entry: QueueEntry): string {
  const visibleAt = String(Math.max(0, Math.floor(entry.visibleAt))).padStart(15, '0');
  return `${visibleAt}.${entry.receiveCount}.${entry.token ?? READY}.${entry.messageId}.json`;
}

/** Parses a file name; undefined for anything else in the folder (temp files, locks). */
export function parseEntryName(name: string): QueueEntry | undefined {
  const match = NAME.exec(name);
  if (match === null) return undefined;
  const [, visibleAt, receiveCount, token, messageId] = match;
  if (visibleAt === undefined || receiveCount === undefined || messageId === undefined) {
    return undefined;
  }
  return {
    visibleAt: Number(visibleAt),
    receiveCount: Number(receiveCount),
    token: token === READY ? undefined : token,
    messageId,
  };
}
