import { ConfigError, RequestError } from '#core/errors.ts';
import type { IdempotencyStore } from '#core/idempotency/idempotency-store.ts';
import { DocumentIdempotencyStore } from '#core/idempotency/idempotency-store.ts';
import type { Lane } from '#core/jobs/job-record.ts';
import { isTerminalStatus } from '#core/jobs/job-status.ts';
import type { ApiKeyRecord } from '#core/keys/api-key.ts';
import type { KeyGateway } from '#core/keys/key-gateway.ts';
import type { KeyStore } from '#core/keys/key-store.ts';
import { releaseSlots, reserveSlots } from '#core/limits/active-jobs.ts';
import { refundQuota, reserveQuota } from '#core/limits/daily-quota.ts';
import type { DocumentStore } from '#core/limits/document-store.ts';
import { drawTickets } from '#core/limits/lane-tickets.ts';
import { MemoryDocumentStore } from '#core/limits/memory-document-store.ts';
import { RateLimiter } from '#core/limits/rate-limiter.ts';
import type { JobStore } from '#core/ports.ts';
import type { ApiRequest, Clock, LogSink } from '../api-types.ts';
import { describeError } from '../http-errors.ts';
import type { AccessConfig } from './access-config.ts';
import { authenticateBearer, createKeyCache } from './authenticate.ts';

/** Who may call a route: anyone, any valid key, or an admin key. */
export type RouteAccess = 'public' | 'key' | 'admin';

/** The caller of a request: the owner of what it creates and sees, and its key when it has one. */
export interface Caller {
  /** The key id with auth required; otherwise the gateway's principal or `config.owner`. */
  readonly owner: string;
  readonly key: ApiKeyRecord | undefined;
}

/** Slots and quota held for jobs being submitted; released if the submission fails. */
export interface JobReservation {
  /** Gives the slots and the quota back. Never throws (a failure is logged). */
  release(): Promise<void>;
}

export interface AccessControl {
  readonly mode: 'required' | 'disabled';
  readonly keys: KeyStore | undefined;
  /** Where a gateway enforces key rates (AWS); key administration registers keys there. */
  readonly gateway: KeyGateway | undefined;
  readonly idempotency: IdempotencyStore;
  /** Quotas, concurrency slots and lane tickets. */
  readonly usage: DocumentStore;
  /**
   * Identifies the caller and, unless a gateway enforces rates, takes a token of its key's rate
   * limit.
   * @throws RequestError `UNAUTHENTICATED` (401, `details.reason`: missing, malformed, unknown,
   *   revoked) or `ACCESS_DENIED` (403: an admin route without an admin key); LimitError
   *   `RATE_LIMITED` (429).
   */
  authenticate(request: ApiRequest, access: RouteAccess): Promise<Caller>;
  /**
   * Holds concurrency slots and daily quota of the caller's key for new jobs, then draws their
   * lane tickets (best effort). A caller without a key has no limits.
   * @throws LimitError `CONCURRENCY_LIMITED` or `QUOTA_EXCEEDED` (429), nothing held.
   */
  reserveJobs(
    caller: Caller,
    jobs: readonly { readonly id: string; readonly lane: Lane }[],
    requestId: string,
  ): Promise<JobReservation>;
}

export interface AccessControlDeps {
  readonly keys: KeyStore | undefined;
  /** Set: API Gateway enforces each key's rate for every API process together, so this does not. */
  readonly gateway: KeyGateway | undefined;
  readonly idempotency: IdempotencyStore | undefined;
  readonly usage: DocumentStore | undefined;
  readonly jobs: JobStore;
  readonly config: AccessConfig;
  /** Used when no key authenticates the request (auth disabled, public routes). */
  readonly defaultOwner: string;
  readonly clock: Clock;
  readonly log: LogSink;
  readonly dependency: <T>(operation: string, run: () => Promise<T>) => Promise<T>;
}

/**
 * Builds the app's access control from its dependencies.
 * @throws ConfigError when auth is required and there is no key store.
 */
export function createAccessControl(deps: AccessControlDeps): AccessControl {
  const mode = deps.config.auth ?? (deps.keys === undefined ? 'disabled' : 'required');
  if (mode === 'required' && deps.keys === undefined) {
    throw new ConfigError(
      'Expected a key store (ApiDeps.keys) with access.auth "required" but none was given; pass one or set VIBE_AUTH=disabled',
    );
  }
  const usage = deps.usage ?? new MemoryDocumentStore();
  const idempotency = deps.idempotency ?? new DocumentIdempotencyStore(usage);
  const limiter = new RateLimiter();
  const cache = createKeyCache(deps.config.keyCacheSeconds, deps.clock);
  const { dependency, log } = deps;

  const anonymous = (request: ApiRequest): Caller => ({
    owner: request.principal ?? deps.defaultOwner,
    key: undefined,
  });

  return {
    mode,
    keys: deps.keys,
    gateway: deps.gateway,
    idempotency,
    usage,

    async authenticate(request, access) {
      if (access === 'public') return anonymous(request);
      if (mode === 'disabled' || deps.keys === undefined) {
        if (access === 'admin') {
          throw new RequestError(
            'ACCESS_DENIED',
            'Expected API keys to be required (VIBE_AUTH=required) for key administration but they are disabled on this server',
            { details: { auth: 'disabled' } },
          );
        }
        return anonymous(request);
      }
      const store = deps.keys;
      const key = await authenticateBearer(request.headers.authorization, (id) =>
        cache.get(id, () => dependency('key store get', () => store.get(id))),
      );
      if (access === 'admin' && !key.admin) {
        throw new RequestError(
          'ACCESS_DENIED',
          `Expected an admin API key for ${request.method} ${request.path} but key ${key.id} ("${key.name}") is not an admin key`,
          { details: { keyId: key.id, required: 'admin' } },
        );
      }
      const { ratePerSecond, burst } = key.limits;
      if (ratePerSecond !== null && deps.gateway === undefined)
        limiter.take(key.id, { ratePerSecond, burst }, deps.clock.now());
      return { owner: key.id, key };
    },

    async reserveJobs(caller, jobs, requestId) {
      const ids = jobs.map((job) => job.id);
      const now = deps.clock.now();
      const key = caller.key;
      let slots = false;
      let quota = false;
      const release = async () => {
        if (key === undefined) return;
        try {
          if (slots) await dependency('usage release', () => releaseSlots(usage, key.id, ids));
          if (quota)
            await dependency('usage refund', () => refundQuota(usage, key.id, ids.length, now));
        } catch (error) {
          // The slots free themselves after the grace time; the quota stays spent for the day.
          log({
            level: 'warn',
            msg: 'limits not released',
            requestId,
            keyId: key.id,
            error: describeError(error),
          });
        }
      };
      if (key !== undefined && ids.length > 0) {
        const { concurrency, jobsPerDay } = key.limits;
        if (concurrency !== null) {
          await dependency('usage reserve', () =>
            reserveSlots(usage, {
              keyId: key.id,
              jobIds: ids,
              limit: concurrency,
              now,
              activity: async (id) => {
                const record = await deps.jobs.get(id);
                if (record === undefined) return 'missing';
                return isTerminalStatus(record.status) ? 'done' : 'active';
              },
              retryAfterSeconds: deps.config.concurrencyRetryAfterSeconds,
            }),
          );
          slots = true;
        }
        if (jobsPerDay !== null) {
          try {
            await dependency('usage quota', () =>
              reserveQuota(usage, key.id, jobsPerDay, ids.length, now),
            );
            quota = true;
          } catch (error) {
            await release();
            throw error;
          }
        }
      }
      await drawLaneTickets(usage, jobs, { dependency, log, requestId });
      return { release };
    },
  };
}

/** Tickets for queue positions; a failure only leaves the positions unknown. */
async function drawLaneTickets(
  usage: DocumentStore,
  jobs: readonly { readonly id: string; readonly lane: Lane }[],
  context: Pick<AccessControlDeps, 'dependency' | 'log'> & { readonly requestId: string },
): Promise<void> {
  const lanes = new Map<Lane, string[]>();
  for (const job of jobs) lanes.set(job.lane, [...(lanes.get(job.lane) ?? []), job.id]);
  for (const [lane, ids] of lanes) {
    try {
      await context.dependency('lane tickets', () => drawTickets(usage, lane, ids));
    } catch (error) {
      context.log({
        level: 'warn',
        msg: 'lane tickets not drawn; queue positions unknown',
        requestId: context.requestId,
        lane,
        error: describeError(error),
      });
    }
  }
}
