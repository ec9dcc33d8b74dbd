import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VibeClient } from '#client/vibe-client.ts';
import { type LocalService, startLocalService } from '#test/client/helpers/local-service.ts';
import { runCli } from './run-cli.ts';

const PHOTO = 'test/fixtures/sample/photo.jpg';
let service: LocalService;
let out: string;
let gate: Promise<void> | undefined;

beforeAll(async () => {
  service = await startLocalService({ stepMs: 20, beforeRun: () => gate ?? Promise.resolve() });
  out = await mkdtemp(join(tmpdir(), 'vibe-cli-'));
});

afterAll(async () => {
  await service.close();
  await rm(out, { recursive: true, force: true });
});

describe('vibe edit --server', () => {
  it('uploads, submits, shows the steps, downloads the result', async () => {
    const target = join(out, 'winter.webp');

    const run = await runCli([
      'edit',
      '--server',
      service.url,
      '--api-key',
      service.apiKey,
      PHOTO,
      'make it winter',
      '-o',
      target,
      '--steps',
      '6',
      '--seed',
      '3',
    ]);

    expect(run.stderr).toMatch(/submitted job_[0-9a-f]+ to http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stderr).toMatch(/denoising \[#{30}\] 6\/6/);
    expect(run.stderr).toContain(`wrote ${target} (640x480 webp; edit job_`);
    expect(run.stderr).toContain('6 steps, seed 3');
    expect(run.stderr).toContain('not a real edit');
    expect(run.code).toBe(0);
    expect(await sharp(target).metadata()).toMatchObject({
      format: 'webp',
      width: 640,
      height: 480,
    });
  });

  it('takes the server and key from VIBE_SERVER_URL and VIBE_API_KEY', async () => {
    const target = join(out, 'env.png');

    const run = await runCli(['edit', PHOTO, 'add snow', '-o', target, '--steps', '2'], {
      VIBE_SERVER_URL: service.url,
      VIBE_API_KEY: service.apiKey,
    });

    expect(run.code).toBe(0);
    expect(existsSync(target)).toBe(true);
  });

  it('shows the queue position while the edit waits behind another', async () => {
    let release = () => {};
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = new VibeClient({ baseUrl: service.url, apiKey: service.apiKey });
    const photo = await sharp(PHOTO).png().toBuffer();
    const first = await client.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'a',
      steps: 1,
    });
    const target = join(out, 'queued.png');

    const run = runCli(
      [
        'edit',
        '--server',
        service.url,
        '--api-key',
        service.apiKey,
        PHOTO,
        'b',
        '-o',
        target,
        '--steps',
        '2',
      ],
      {},
      {
        onStderr: (text) => {
          if (text.includes('queued in the interactive lane')) {
            gate = undefined;
            release();
          }
        },
      },
    );
    const result = await run;

    expect(result.stderr).toContain('queued in the interactive lane: position 1 of');
    expect(result.code).toBe(0);
    expect((await client.getEdit(first.id)).status).toBe('succeeded');
  });

  it('reports the API error code, message and request id, and exits 2 for a refused request', async () => {
    const badKey = await runCli([
      'edit',
      '--server',
      service.url,
      '--api-key',
      'vibe_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      PHOTO,
      'x',
      '-o',
      join(out, 'never.png'),
    ]);
    const badSteps = await runCli(
      ['edit', PHOTO, 'x', '-o', join(out, 'never.png'), '--steps', '500'],
      { VIBE_SERVER_URL: service.url, VIBE_API_KEY: service.apiKey },
    );

    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(
      /error UNAUTHENTICATED \(HTTP 401\): Expected an API key issued by this service/,
    );
    expect(badKey.stderr).toMatch(/request id req_/);
    expect(badSteps.code).toBe(2);
    expect(badSteps.stderr).toContain(
      'error INVALID_ARGUMENT (HTTP 400): Expected "steps" to be an integer from 1 to 100 but received 500',
    );
    expect(existsSync(join(out, 'never.png'))).toBe(false);
  });

  it('keeps the local mode: --model runs on this machine even with VIBE_SERVER_URL set', async () => {
    const run = await runCli(
      ['edit', PHOTO, 'x', '-o', join(out, 'local.png'), '--model', join(out, 'no-such-bundle')],
      { VIBE_SERVER_URL: service.url },
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error BUNDLE_MISSING: The model bundle folder');
    expect(run.stderr).not.toContain('submitted');
  });
});
