import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VibeClient } from '#client/vibe-client.ts';
import { type LocalService, startLocalService } from '../client/helpers/local-service.ts';

/**
 * The playground in a real browser: Debian's chromium driven by playwright-core, against local
 * mode on 127.0.0.1 with the test engine (which negates colours, so before and after differ).
 * CI installs the browser with `apt-get install -y chromium`. Set VIBE_PLAYGROUND_SCREENSHOT to a
 * file path to keep a screenshot of the finished edit.
 */

const PHOTO = 'test/fixtures/sample/photo.jpg';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Page code (a string: this project type-checks without the DOM library): records every
 * "state: detail" the page shows into `window.seenStates`.
 */
const RECORD_STATES = `(() => {
  const seen = [];
  window.seenStates = seen;
  const record = () => {
    const text = document.getElementById('state').textContent + ': ' + document.getElementById('detail').textContent;
    if (seen[seen.length - 1] !== text) seen.push(text);
  };
  const observer = new MutationObserver(record);
  for (const id of ['state', 'detail']) {
    observer.observe(document.getElementById(id), { childList: true, characterData: true, subtree: true });
  }
})()`;

interface ImageState {
  readonly width: number;
  readonly height: number;
  readonly src: string;
}

let service: LocalService;
let profile: string;
let browser: BrowserContext;
let gate: Promise<void> | undefined;
/** Console errors, failed requests and CSP violations of every page: none is expected. */
const problems: string[] = [];

beforeAll(async () => {
  service = await startLocalService({ stepMs: 120, beforeRun: () => gate ?? Promise.resolve() });
  profile = await mkdtemp(join(tmpdir(), 'vibe-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 820 },
  });
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
});

async function openPlayground(url = `${service.url}/playground`): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  await expect.poll(() => page.textContent('#health')).toContain('API ok');
  // Every state the page shows, in order, so that short ones are not missed between two looks.
  await page.evaluate(RECORD_STATES);
  return page;
}

describe('the playground page in chromium', () => {
  it('edits an image: queue position, denoising steps, then the before and the after', async () => {
    const client = new VibeClient({ baseUrl: service.url, apiKey: service.apiKey });
    let release = () => {};
    gate = new Promise<void>((resolve) => {
      release = () => {
        gate = undefined;
        resolve();
      };
    });
    const photo = new Uint8Array(await readFile(PHOTO));
    const ahead = await client.submitEdit({
      image: { file: { bytes: photo } },
      instruction: 'first',
      steps: 1,
    });
    const page = await openPlayground();

    await page.fill('#api-key', service.apiKey);
    await page.setInputFiles('#image', PHOTO);
    await page.fill('#instruction', 'make it winter');
    await page.fill('#steps', '8');
    await page.fill('#seed', '1234');
    await page.fill('#guidance', '3.5');
    await page.fill('#image-guidance', '1.5');
    await page.selectOption('#format', 'jpeg');
    await page.fill('#quality', '70');
    await page.click('#submit');

    // Behind the held job: queued, with its place in the line.
    await page.waitForSelector('#state.queued');
    await expect
      .poll(() => page.textContent('#detail'))
      .toMatch(/position 1 in the interactive queue/);
    const jobId = (await page.textContent('#job-id')) ?? '';
    expect(jobId).toMatch(/^job_/);
    release();

    await page.waitForSelector('#state.succeeded', { timeout: 15_000 });
    await page.waitForFunction(
      "document.getElementById('after').complete && document.getElementById('after').naturalWidth > 0",
    );

    const images = await page.evaluate<Record<'before' | 'after', ImageState>>(`(() => {
      const size = (id) => {
        const image = document.getElementById(id);
        return { width: image.naturalWidth, height: image.naturalHeight, src: image.src };
      };
      return { before: size('before'), after: size('after') };
    })()`);
    expect(images.before).toMatchObject({
      width: 640,
      height: 480,
      src: expect.stringMatching(/^blob:/),
    });
    expect(images.after).toMatchObject({ width: 640, height: 480 });
    expect(images.after.src).toContain(`${service.url}/local-blobs/`);
    const seen = await page.evaluate<string[]>('window.seenStates');
    const running = seen.filter((text) => text.startsWith('running: step '));
    expect(seen[0]).toMatch(/^sending: /);
    expect(seen).toContainEqual(
      expect.stringMatching(/^queued: position 1 in the interactive queue/),
    );
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(running).toContainEqual(expect.stringMatching(/^running: step [1-7] of 8$/));
    expect(seen.at(-1)).toMatch(/^succeeded: /);
    expect(await page.textContent('#detail')).toMatch(
      /^640×480 jpeg in \d+\.\d s \(synthetic test model/,
    );
    expect(await page.getAttribute('#bar-fill', 'style')).toContain('width: 100%');
    expect(await page.isVisible('#download')).toBe(true);
    // The page sent the parameters it shows.
    expect(await client.getEdit(jobId)).toMatchObject({
      status: 'succeeded',
      instruction: 'make it winter',
      parameters: {
        steps: 8,
        seed: 1234,
        guidanceScale: 3.5,
        imageGuidanceScale: 1.5,
        output: { format: 'jpeg', quality: 70 },
      },
    });
    expect((await client.getEdit(ahead.id)).status).toBe('succeeded');

    const screenshot = process.env.VIBE_PLAYGROUND_SCREENSHOT;
    if (screenshot !== undefined && screenshot !== '') {
      await page.screenshot({ path: screenshot, fullPage: true });
    }
    await page.close();
    expect(problems).toEqual([]);
  });

  it("shows the API's error code and message for a key it does not accept", async () => {
    const page = await openPlayground();

    await page.fill(
      '#api-key',
      'vibe_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    );
    await page.setInputFiles('#image', PHOTO);
    await page.fill('#instruction', 'make it winter');
    await page.click('#submit');

    await page.waitForSelector('#state.error');
    const error = (await page.textContent('#error')) ?? '';
    expect(error).toMatch(/^UNAUTHENTICATED: Expected an API key issued by this service/);
    expect(error).toMatch(/request id req_/);
    expect(await page.isEnabled('#submit')).toBe(true);
    await page.close();
  });

  it('calls the API under its own base path, as behind an API Gateway stage URL (/prod)', async () => {
    const seenPaths: string[] = [];
    // API Gateway's stage URL: /prod/<path> reaches the API as /<path>.
    const stage = createServer((request, response) => {
      seenPaths.push(request.url ?? '');
      if (!(request.url ?? '').startsWith('/prod/')) {
        // What API Gateway answers outside any stage.
        response.writeHead(403, { 'content-type': 'application/json' });
        response.end('{"message":"Forbidden"}');
        return;
      }
      const target = new URL((request.url ?? '').replace(/^\/prod(?=\/)/, ''), service.url);
      const upstream = httpRequest(
        target,
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => stage.listen(0, '127.0.0.1', resolve));
    const { port } = stage.address() as AddressInfo;
    try {
      const page = await openPlayground(`http://127.0.0.1:${port}/prod/playground`);
      await page.fill('#api-key', `vibe_0123456789abcdef_${'B'.repeat(43)}`);
      await page.setInputFiles('#image', PHOTO);
      await page.fill('#instruction', 'make it winter');
      await page.click('#submit');

      await page.waitForSelector('#state.error');
      expect(await page.textContent('#error')).toMatch(/^UNAUTHENTICATED: /);
      expect(seenPaths).toEqual(['/prod/playground', '/prod/healthz', '/prod/v1/edits']);
      await page.close();
    } finally {
      stage.closeAllConnections();
      await new Promise<void>((resolve) => stage.close(() => resolve()));
    }
  });
});
