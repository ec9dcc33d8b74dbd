import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { cachedSigningSecrets, staticSigningSecrets } from '#core/webhooks/signing-secrets.ts';
import {
  generateWebhookSecret,
  parseSigningSecrets,
  parseWebhookSecret,
} from '#core/webhooks/webhook-secret.ts';

const A = generateWebhookSecret();
const B = generateWebhookSecret();
const RAW = 'Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL'; // the stack's generated form: 48 alphanumerics

describe('parseSigningSecrets', () => {
  it('reads one secret, a rotation list (space, comma, newline) and a raw secret', () => {
    expect(parseSigningSecrets(A)).toEqual([parseWebhookSecret(A)]);
    expect(parseSigningSecrets(`${B} ${A}`)).toEqual([
      parseWebhookSecret(B),
      parseWebhookSecret(A),
    ]);
    expect(parseSigningSecrets(`${B},\n${A}`)).toHaveLength(2);
    expect(Buffer.from(parseSigningSecrets(RAW)[0] ?? []).toString('utf8')).toBe(RAW);
  });

  it('refuses an empty value and a short raw secret', () => {
    expect(() => parseSigningSecrets('  ')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => parseSigningSecrets('x'.repeat(31))).toThrow(
      expect.objectContaining({ message: expect.stringContaining('has 31 characters') }),
    );
    expect(parseSigningSecrets('x'.repeat(32))).toHaveLength(1);
  });
});

describe('cachedSigningSecrets', () => {
  it('fetches once, shares the fetch, refreshes after the TTL and keeps the old keys when a refresh fails', async () => {
    let now = 0;
    const fetched: string[] = [];
    let value = A;
    let fail = false;
    const source = cachedSigningSecrets({
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:hook',
      ttlMs: 1_000,
      now: () => now,
      fetchSecret: async (id) => {
        fetched.push(id);
        if (fail) throw new Error('throttled');
        return value;
      },
    });

    const [first, second] = await Promise.all([source.keys(), source.keys()]);
    now = 999;
    await source.keys();
    now = 1_000;
    value = `${B} ${A}`;
    const rotated = await source.keys();
    now = 2_500;
    fail = true;
    const kept = await source.keys();

    expect(first).toEqual([parseWebhookSecret(A)]);
    expect(second).toBe(first);
    expect(rotated).toEqual([parseWebhookSecret(B), parseWebhookSecret(A)]);
    expect(kept).toBe(rotated);
    expect(fetched).toHaveLength(3);
  });

  it('fails with a retryable DEPENDENCY_UNAVAILABLE when nothing was ever fetched', async () => {
    const source = cachedSigningSecrets({
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:hook',
      fetchSecret: () => Promise.reject(new Error('no extension')),
    });

    await expect(source.keys()).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retryable: true,
    });
  });

  it('staticSigningSecrets refuses a malformed value at once', () => {
    expect(() => staticSigningSecrets('whsec_short')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('VIBE_WEBHOOK_SECRET in the process configuration', () => {
  it('takes one secret or a rotation list, and refuses anything else', () => {
    expect(parseConfig({ VIBE_WEBHOOK_SECRET: A }).webhooks.secret).toBe(A);
    expect(parseConfig({ VIBE_WEBHOOK_SECRET: `${B} ${A}` }).webhooks.secret).toBe(`${B} ${A}`);
    expect(() => parseConfig({ VIBE_WEBHOOK_SECRET: `${B},${A}` })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('space-separated "whsec_" secrets'),
      }),
    );
    expect(() => parseConfig({ VIBE_WEBHOOK_SECRET: 'secret' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
