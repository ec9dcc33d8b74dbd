import { describe, expect, it } from 'vitest';
import { verifyWebhook, type WebhookHeaderInput } from '#core/webhooks/verify-webhook.ts';
import {
  formatWebhookSecret,
  generateWebhookSecret,
  parseWebhookSecret,
} from '#core/webhooks/webhook-secret.ts';
import { signWebhook } from '#core/webhooks/webhook-signature.ts';

// The Standard Webhooks specification's published test vector (standard-webhooks/standard-webhooks).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;
const OLD = generateWebhookSecret();
const NEW = generateWebhookSecret();
const BODY =
  '{"type":"edit.succeeded","timestamp":"2026-11-27T12:00:05.000Z","data":{"id":"job_1"}}';

function signed(
  secrets: string[],
  overrides: { id?: string; timestamp?: number; body?: string } = {},
) {
  const body = overrides.body ?? BODY;
  const headers = signWebhook(
    { id: overrides.id ?? 'evt_job_1_3', timestamp: overrides.timestamp ?? NOW_S, body },
    secrets.map((secret) => parseWebhookSecret(secret)),
  );
  return { body, headers };
}

describe('signWebhook', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    const headers = signWebhook({ id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body }, [
      parseWebhookSecret(VECTOR.secret),
    ]);

    expect(headers).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': VECTOR.signature,
    });
  });

  it('signs with every key during a rotation, space-separated, in key order', () => {
    const { headers } = signed([NEW, OLD]);
    const entries = headers['webhook-signature'].split(' ');

    expect(entries).toHaveLength(2);
    expect(entries[0]).toBe(signed([NEW]).headers['webhook-signature']);
    expect(entries[1]).toBe(signed([OLD]).headers['webhook-signature']);
  });

  it('refuses an id with a dot, a fractional timestamp and no key', () => {
    const key = [parseWebhookSecret(NEW)];
    expect(() => signWebhook({ id: 'evt.1', timestamp: 1, body: '' }, key)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => signWebhook({ id: 'evt_1', timestamp: 1.5, body: '' }, key)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => signWebhook({ id: 'evt_1', timestamp: 1, body: '' }, [])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('verifyWebhook', () => {
  it('accepts the Standard Webhooks test vector at its own time', () => {
    const verified = verifyWebhook(
      VECTOR.body,
      {
        'webhook-id': VECTOR.id,
        'webhook-timestamp': '1614265330',
        'webhook-signature': VECTOR.signature,
      },
      VECTOR.secret,
      { now: VECTOR.timestamp * 1000 },
    );

    expect(verified).toEqual({
      id: VECTOR.id,
      timestamp: VECTOR.timestamp,
      payload: { test: 2432232314 },
    });
  });

  it.each([
    ['a string body and a plain header object', (b: string) => b, (h: Record<string, string>) => h],
    [
      'a byte body and fetch Headers',
      (b: string) => new TextEncoder().encode(b),
      (h: Record<string, string>) => new Headers(h),
    ],
    [
      'upper-case header names (node:http keeps what arrives in rawHeaders)',
      (b: string) => b,
      (h: Record<string, string>) =>
        Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v])),
    ],
  ])('round-trips with %s', (_name, toBody, toHeaders) => {
    const { body, headers } = signed([NEW]);

    const verified = verifyWebhook(
      toBody(body),
      toHeaders({ ...headers }) as WebhookHeaderInput,
      NEW,
      {
        now: NOW_MS,
      },
    );

    expect(verified).toMatchObject({
      id: 'evt_job_1_3',
      timestamp: NOW_S,
      payload: { data: { id: 'job_1' } },
    });
  });

  it('accepts a delivery signed during a rotation with either the old or the new secret', () => {
    const { body, headers } = signed([NEW, OLD]);

    expect(verifyWebhook(body, headers, OLD, { now: NOW_MS }).id).toBe('evt_job_1_3');
    expect(verifyWebhook(body, headers, NEW, { now: NOW_MS }).id).toBe('evt_job_1_3');
    expect(verifyWebhook(body, signed([OLD]).headers, [NEW, OLD], { now: NOW_MS }).id).toBe(
      'evt_job_1_3',
    );
  });

  it.each([
    ['a tampered body', () => ({ ...signed([NEW]), body: BODY.replace('job_1', 'job_2') }), NEW],
    [
      'a body parsed and re-serialized',
      () => ({ ...signed([NEW]), body: JSON.stringify(JSON.parse(BODY), null, 1) }),
      NEW,
    ],
    ['another secret', () => signed([OLD]), NEW],
    [
      'a tampered id',
      () => {
        const s = signed([NEW]);
        return { ...s, headers: { ...s.headers, 'webhook-id': 'evt_job_1_4' } };
      },
      NEW,
    ],
    [
      'a timestamp moved within the tolerance (it is signed too)',
      () => {
        const s = signed([NEW]);
        return { ...s, headers: { ...s.headers, 'webhook-timestamp': String(NOW_S - 1) } };
      },
      NEW,
    ],
    [
      'only a signature of another scheme (v1a)',
      () => {
        const s = signed([NEW]);
        return {
          ...s,
          headers: {
            ...s.headers,
            'webhook-signature': s.headers['webhook-signature'].replace('v1,', 'v1a,'),
          },
        };
      },
      NEW,
    ],
  ])('refuses %s with no-matching-signature', (_name, make, secret) => {
    const { body, headers } = make();

    expect(() => verifyWebhook(body, headers, secret, { now: NOW_MS })).toThrow(
      expect.objectContaining({
        code: 'WEBHOOK_VERIFICATION_FAILED',
        reason: 'no-matching-signature',
      }),
    );
  });

  it('refuses a replay: a genuine delivery whose timestamp is one second past the tolerance', () => {
    const { body, headers } = signed([NEW], { timestamp: NOW_S - 301 });

    expect(
      verifyWebhook(body, signed([NEW], { timestamp: NOW_S - 300 }).headers, NEW, { now: NOW_MS })
        .id,
    ).toBe('evt_job_1_3');
    expect(() => verifyWebhook(body, headers, NEW, { now: NOW_MS })).toThrow(
      expect.objectContaining({
        reason: 'timestamp-too-old',
        message: expect.stringContaining('within 300 s of now but it is 301 s old'),
      }),
    );
  });

  it('refuses a timestamp too far in the future, with a custom tolerance', () => {
    const { body, headers } = signed([NEW], { timestamp: NOW_S + 61 });

    expect(() => verifyWebhook(body, headers, NEW, { now: NOW_MS, toleranceSeconds: 60 })).toThrow(
      expect.objectContaining({ reason: 'timestamp-in-future' }),
    );
    expect(
      verifyWebhook(body, headers, NEW, { now: new Date(NOW_MS), toleranceSeconds: 61 }).id,
    ).toBe('evt_job_1_3');
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'refuses a delivery without %s',
    (name) => {
      const { body, headers } = signed([NEW]);
      const without = Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));

      expect(() => verifyWebhook(body, without, NEW, { now: NOW_MS })).toThrow(
        expect.objectContaining({
          reason: 'missing-header',
          message: `Expected a "${name}" header but received none`,
        }),
      );
    },
  );

  it('refuses a non-numeric timestamp, a malformed secret, a parsed body and a non-JSON body', () => {
    const { body, headers } = signed([NEW]);
    expect(() =>
      verifyWebhook(body, { ...headers, 'webhook-timestamp': '1e9' }, NEW, { now: NOW_MS }),
    ).toThrow(expect.objectContaining({ reason: 'invalid-header' }));
    expect(() => verifyWebhook(body, headers, 'secret', { now: NOW_MS })).toThrow(
      expect.objectContaining({ reason: 'invalid-secret' }),
    );
    expect(() => verifyWebhook(JSON.parse(body) as string, headers, NEW, { now: NOW_MS })).toThrow(
      expect.objectContaining({ reason: 'invalid-payload' }),
    );
    const text = signed([NEW], { body: 'not json' });
    expect(() => verifyWebhook(text.body, text.headers, NEW, { now: NOW_MS })).toThrow(
      expect.objectContaining({ reason: 'invalid-payload' }),
    );
  });
});

describe('webhook secrets', () => {
  it('generates 32-byte whsec_ secrets that parse back', () => {
    const secret = generateWebhookSecret();

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(parseWebhookSecret(secret)).toHaveLength(32);
    expect(formatWebhookSecret(parseWebhookSecret(secret))).toBe(secret);
  });

  it.each([
    ['no prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'does not start with "whsec_"'],
    ['not base64', 'whsec_not*base64', 'is not base64'],
    ['23 bytes', `whsec_${Buffer.alloc(23).toString('base64')}`, 'decodes to 23 bytes'],
    ['65 bytes', `whsec_${Buffer.alloc(65).toString('base64')}`, 'decodes to 65 bytes'],
  ])('refuses a secret with %s', (_name, secret, problem) => {
    expect(() => parseWebhookSecret(secret)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(problem),
      }),
    );
  });

  it('takes 24 and 64 bytes, the edges', () => {
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toHaveLength(24);
    expect(parseWebhookSecret(`whsec_${Buffer.alloc(64, 1).toString('base64')}`)).toHaveLength(64);
  });
});
