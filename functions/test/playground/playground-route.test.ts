import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENV } from '#core/config/env-names.ts';
import { parseConfig } from '#core/config/parse-config.ts';
import { EDIT_LIMITS } from '#core/edit-parameters.ts';
import { apiConfigFromAppConfig } from '#functions/api/api-config.ts';
import { call, createHarness, jsonRequest, useTempRoot } from '../helpers/api-harness.ts';

const tempDir = useTempRoot('playground');

function page(playground: boolean, defaults = {}) {
  const { app } = createHarness(tempDir(), { config: { playground, defaults } });
  return app(jsonRequest('GET', '/playground'));
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const between = (html: string, open: string, close: string) => {
  const start = html.indexOf(open);
  return html.slice(start + open.length, html.indexOf(close, start));
};

describe('GET /playground', () => {
  it('serves one self-contained HTML page, without a key', async () => {
    const response = await page(true);

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toMatch(/^<!doctype html>/);
    // Nothing is loaded from elsewhere: no external script, style, image, font or import.
    expect(response.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(response.body).not.toMatch(/@import|url\(\s*['"]?https?:/);
    expect(response.body.match(/<script/g)).toHaveLength(1);
  });

  it('allows exactly its own inline script and style in its Content-Security-Policy', async () => {
    const response = await page(true);
    const csp = response.headers['content-security-policy'] ?? '';
    const script = between(response.body, '<script>', '</script>');
    const style = between(response.body, '<style>', '</style>');

    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${sha256(script)}`);
    expect(csp).toContain(`style-src ${sha256(style)}`);
    expect(csp).toContain("connect-src 'self' https:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it("offers every parameter with the API's ranges and the configured defaults", async () => {
    const { body } = await page(true, { steps: 12, seed: 7, outputFormat: 'webp' });

    expect(body).toContain(
      `id="steps" name="steps" type="number" min="${EDIT_LIMITS.steps.min}" max="${EDIT_LIMITS.steps.max}" step="1" value="12"`,
    );
    expect(body).toContain(
      'id="seed" name="seed" type="number" min="0" max="4294967295" step="1" value="7"',
    );
    expect(body).toContain(
      'id="guidance" name="guidanceScale" type="number" min="0" max="20" step="0.1" value="4.5"',
    );
    expect(body).toContain(
      'id="image-guidance" name="imageGuidanceScale" type="number" min="0" max="10"',
    );
    expect(body).toContain('<option value="webp" selected>webp</option>');
    expect(body).toContain(
      '<select id="size-mode" name="sizeMode"><option value="aligned" selected>',
    );
    expect(body).toContain('id="quality" name="output.quality"');
    expect(body).toContain('<select id="lane" name="lane">');
  });

  it('is the same 404 as an unknown path when the playground is off', async () => {
    const answer = await call(
      createHarness(tempDir(), { config: { playground: false } }).app,
      jsonRequest('GET', '/playground'),
    );

    expect(answer.status).toBe(404);
    expect(answer.json.error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('turn it on with VIBE_PLAYGROUND=on'),
    });
  });
});

describe('VIBE_PLAYGROUND', () => {
  const aws = {
    [ENV.mode]: 'aws',
    [ENV.bucket]: 'vibe-images',
    [ENV.interactiveQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/interactive',
    [ENV.batchQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/batch',
    [ENV.eventsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
  };

  it('is on in local mode and off on AWS unless set', () => {
    expect(apiConfigFromAppConfig(parseConfig({})).playground).toBe(true);
    expect(apiConfigFromAppConfig(parseConfig({ [ENV.playground]: 'off' })).playground).toBe(false);
    expect(apiConfigFromAppConfig(parseConfig(aws)).playground).toBe(false);
    expect(apiConfigFromAppConfig(parseConfig({ ...aws, [ENV.playground]: 'on' })).playground).toBe(
      true,
    );
  });

  it('refuses another value, saying which are allowed', () => {
    expect(() => parseConfig({ [ENV.playground]: 'yes' })).toThrow(
      'Expected VIBE_PLAYGROUND to be one of on, off but received "yes"',
    );
  });
});
