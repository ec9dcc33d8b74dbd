import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { ConfigError } from '#core/errors.ts';
import { apiConfigFromAppConfig, resolveApiConfig } from '#functions/api/api-config.ts';

describe('resolveApiConfig', () => {
  it('fills in the documented defaults', () => {
    const config = resolveApiConfig();

    expect(config).toEqual({
      limits: {
        maxBodyBytes: 6 * 1024 ** 2,
        maxInlineImageBytes: 4 * 1024 ** 2,
        maxImageBytes: 20 * 1024 ** 2,
        maxInputPixels: 50_000_000,
        maxInstructionChars: 2000,
      },
      defaults: {
        steps: 20,
        guidanceScale: 4.5,
        imageGuidanceScale: 1.2,
        seed: 42,
        sizeMode: 'aligned',
        outputFormat: 'png',
        lane: 'interactive',
      },
      signedUrlTtlSeconds: 900,
      uploadRetentionSeconds: 3600,
      dependencyTimeoutMs: 5000,
      retryAfterSeconds: 5,
      imageFetch: { timeoutMs: 10_000, maxRedirects: 3 },
      model: null,
      owner: 'anonymous',
      playground: false,
      access: {
        auth: undefined,
        keyCacheSeconds: 5,
        concurrencyRetryAfterSeconds: 5,
        idempotencyTtlSeconds: 86_400,
        idempotencyLockSeconds: 60,
      },
      waiting: { maxWaitSeconds: 25, maxDeadlineSeconds: 86_400 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes the upload limit and URL lifetime from the process configuration', () => {
    const app = parseConfig({
      VIBE_MAX_UPLOAD_BYTES: '2097152',
      VIBE_SIGNED_URL_TTL_SECONDS: '120',
    });

    const config = resolveApiConfig(apiConfigFromAppConfig(app));

    expect(config.limits).toMatchObject({
      maxImageBytes: 2_097_152,
      maxInlineImageBytes: 2_097_152,
    });
    expect(config.signedUrlTtlSeconds).toBe(120);
  });

  it('reports every invalid setting in one ConfigError', () => {
    const resolve = () =>
      resolveApiConfig({
        limits: { maxInlineImageBytes: 10, maxImageBytes: 5 },
        defaults: { steps: 0, lane: 'fast' as 'batch' },
        signedUrlTtlSeconds: 700_000,
      });

    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(
      expect.objectContaining({
        details: {
          issues: [
            'Expected limits.maxInlineImageBytes (10) to be at most limits.maxImageBytes (5)',
            'Expected signedUrlTtlSeconds to be an integer from 1 to 604800 but received 700000',
            'Expected defaults.lane to be one of interactive, batch but received "fast"',
            expect.stringContaining(
              'defaults: Expected "steps" to be an integer from 1 to 100 but received 0',
            ),
          ],
        },
      }),
    );
  });
});
