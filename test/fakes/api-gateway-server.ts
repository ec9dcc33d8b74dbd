import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The API Gateway control-plane operations the fake answers. */
export type FakeApiGatewayOperation =
  | 'GetUsagePlans'
  | 'CreateApiKey'
  | 'CreateUsagePlanKey'
  | 'DeleteApiKey';

export interface FakePlanInput {
  readonly name: string;
  readonly apiStages: readonly { readonly apiId: string; readonly stage: string }[];
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  readonly quota?: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
}

/** One request as the fake received it; `body` is the parsed JSON body, if there was one. */
export interface RecordedRequest {
  readonly operation: FakeApiGatewayOperation | 'Unknown';
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The status of a failure forced by failNext, when this request got one. */
  readonly failedWith?: number;
}

/** How the gateway resolves an API key value on a request. */
export interface FakeKeyResolution {
  readonly apiKeyId: string;
  readonly enabled: boolean;
  /** The usage plan the key is in; null: in none, so the gateway refuses the request. */
  readonly planId: string | null;
}

export interface FakeApiGateway {
  readonly endpoint: string;
  /** Settings for createApiGatewayClient: this endpoint, region us-east-1, a static pair. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Every request received, failed ones included, oldest first. */
  readonly requests: RecordedRequest[];
  /** Adds a usage plan (listed in the order added) and returns its id. */
  addPlan(plan: FakePlanInput): string;
  /** The next `times` requests of `operation` fail with `status` and its AWS error type. */
  failNext(operation: FakeApiGatewayOperation, status: number, times?: number): void;
  lookup(value: string): FakeKeyResolution | undefined;
  /** The number of API keys that exist. */
  apiKeyCount(): number;
  close(): Promise<void>;
}

interface StoredKey {
  readonly id: string;
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly value: string;
  readonly enabled: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdDate: number;
}

interface StoredPlan extends FakePlanInput {
  readonly id: string;
  readonly keyIds: Set<string>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The AWS error type API Gateway names in `x-amzn-ErrorType` for each status it answers. */
const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'BadRequestException',
  401: 'UnauthorizedException',
  404: 'NotFoundException',
  409: 'ConflictException',
  429: 'TooManyRequestsException',
  500: 'InternalFailure',
  503: 'ServiceUnavailableException',
};

const DEFAULT_PAGE = 25;
const MAX_PAGE = 500;

/**
 * A fake API Gateway control plane on 127.0.0.1 (port 0) with just the restJson1 operations that
 * ApiGatewayKeyGateway uses, answered with the paths, status codes, member names and error types
 * of the real service (from the SDK's schemas): GET /usageplans, POST /apikeys,
 * POST /usageplans/{usagePlanId}/keys, DELETE /apikeys/{apiKey}. It never checks signatures.
 */
export async function startFakeApiGateway(): Promise<FakeApiGateway> {
  const plans: StoredPlan[] = [];
  const keys = new Map<string, StoredKey>();
  const failures = new Map<FakeApiGatewayOperation, { status: number; times: number }>();
  const requests: RecordedRequest[] = [];
  let sequence = 0;
  const nextId = (prefix: string, length: number) => {
    sequence += 1;
    return prefix + sequence.toString(36).padStart(length - prefix.length, '0');
  };

  const route = (
    method: string,
    segments: readonly string[],
  ): FakeApiGatewayOperation | 'Unknown' => {
    const [first, second, third] = segments;
    if (method === 'GET' && first === 'usageplans' && segments.length === 1) return 'GetUsagePlans';
    if (method === 'POST' && first === 'apikeys' && segments.length === 1) return 'CreateApiKey';
    if (method === 'DELETE' && first === 'apikeys' && segments.length === 2) return 'DeleteApiKey';
    if (method === 'POST' && first === 'usageplans' && second !== undefined && third === 'keys') {
      return segments.length === 3 ? 'CreateUsagePlanKey' : 'Unknown';
    }
    return 'Unknown';
  };

  const operations = {
    GetUsagePlans(query: Readonly<Record<string, string>>) {
      const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
        throw new ApiError(400, `Invalid limit: expected 1 to ${MAX_PAGE}`);
      }
      const start = query.position === undefined ? 0 : decodePosition(query.position);
      const page = plans.slice(start, start + limit);
      const end = start + page.length;
      return {
        status: 200,
        body: {
          item: page.map(planJson),
          ...(end < plans.length ? { position: encodePosition(end) } : {}),
        },
      };
    },
    CreateApiKey(body: Readonly<Record<string, unknown>>) {
      const value = body.value;
      if (typeof value !== 'string' || value.length < 20 || value.length > 128) {
        throw new ApiError(400, 'API Key value should be at least 20 characters');
      }
      const key: StoredKey = {
        id: nextId('k', 10),
        name: optionalString(body.name),
        description: optionalString(body.description),
        value,
        enabled: body.enabled === true,
        tags: stringRecord(body.tags),
        createdDate: Math.floor(Date.now() / 1000),
      };
      keys.set(key.id, key);
      return {
        status: 201,
        body: { ...key, lastUpdatedDate: key.createdDate, stageKeys: [] },
      };
    },
    CreateUsagePlanKey(planId: string, body: Readonly<Record<string, unknown>>) {
      const plan = plans.find((candidate) => candidate.id === planId);
      if (plan === undefined) throw new ApiError(404, 'Invalid Usage Plan ID specified');
      if (body.keyType !== 'API_KEY') throw new ApiError(400, 'Invalid key type specified');
      const key = typeof body.keyId === 'string' ? keys.get(body.keyId) : undefined;
      if (key === undefined) throw new ApiError(404, 'Invalid API Key identifier specified');
      if (plan.keyIds.has(key.id)) throw new ApiError(409, 'Usage Plan Key already exists');
      plan.keyIds.add(key.id);
      return {
        status: 201,
        body: { id: key.id, type: 'API_KEY', name: key.name, value: key.value },
      };
    },
    DeleteApiKey(apiKeyId: string) {
      if (!keys.delete(apiKeyId)) throw new ApiError(404, 'Invalid API Key identifier specified');
      for (const plan of plans) plan.keyIds.delete(apiKeyId);
      return { status: 202, body: undefined };
    },
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = request.method ?? 'GET';
    const operation = route(method, segments);
    const query = Object.fromEntries(url.searchParams);
    const text = await readBody(request);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // An unparsable body is recorded as its text; the operations refuse it below.
      body = text;
    }
    const failure = operation === 'Unknown' ? undefined : failures.get(operation);
    requests.push({
      operation,
      method,
      path: url.pathname,
      query,
      body,
      ...(failure === undefined ? {} : { failedWith: failure.status }),
    });
    if (operation !== 'Unknown' && failure !== undefined) {
      if (failure.times <= 1) failures.delete(operation);
      else failures.set(operation, { ...failure, times: failure.times - 1 });
      return sendError(response, new ApiError(failure.status, 'Forced failure of the fake'));
    }
    try {
      const input = isRecord(body) ? body : {};
      if (body !== undefined && !isRecord(body)) throw new ApiError(400, 'Invalid JSON body');
      const answer =
        operation === 'GetUsagePlans'
          ? operations.GetUsagePlans(query)
          : operation === 'CreateApiKey'
            ? operations.CreateApiKey(input)
            : operation === 'CreateUsagePlanKey'
              ? operations.CreateUsagePlanKey(segments[1] ?? '', input)
              : operation === 'DeleteApiKey'
                ? operations.DeleteApiKey(segments[1] ?? '')
                : undefined;
      if (answer === undefined) throw new ApiError(404, `No route for ${method} ${url.pathname}`);
      sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendError(response, error);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      sendError(response, new ApiError(500, error instanceof Error ? error.message : 'failure'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    clientConfig: {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    requests,
    addPlan(plan) {
      const id = nextId('p', 6);
      plans.push({ ...plan, id, keyIds: new Set() });
      return id;
    },
    failNext(operation, status, times = 1) {
      failures.set(operation, { status, times });
    },
    lookup(value) {
      const resolutions = [...keys.values()]
        .filter((key) => key.value === value)
        .map((key) => ({
          apiKeyId: key.id,
          enabled: key.enabled,
          planId: plans.find((plan) => plan.keyIds.has(key.id))?.id ?? null,
        }));
      return resolutions.find((key) => key.planId !== null) ?? resolutions[0];
    },
    apiKeyCount: () => keys.size,
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) =>
        server.close((error) => (error === undefined ? resolve() : reject(error))),
      );
    },
  };
}

function planJson(plan: StoredPlan): Record<string, unknown> {
  return {
    id: plan.id,
    name: plan.name,
    apiStages: plan.apiStages.map(({ apiId, stage }) => ({ apiId, stage })),
    ...(plan.throttle === undefined ? {} : { throttle: { ...plan.throttle } }),
    ...(plan.quota === undefined ? {} : { quota: { ...plan.quota, offset: 0 } }),
  };
}

/** Positions are opaque tokens in API Gateway; here the index of the next plan, base64url. */
function encodePosition(index: number): string {
  return Buffer.from(`plan:${index}`).toString('base64url');
}

function decodePosition(position: string): number {
  const match = /^plan:(\d+)$/.exec(Buffer.from(position, 'base64url').toString('utf8'));
  if (match?.[1] === undefined) throw new ApiError(400, 'Invalid position parameter');
  return Number(match[1]);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(response: ServerResponse, error: ApiError): void {
  response
    .writeHead(error.status, {
      'content-type': 'application/json',
      'x-amzn-ErrorType': ERROR_TYPES[error.status] ?? 'ServiceException',
    })
    .end(JSON.stringify({ message: error.message }));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}
