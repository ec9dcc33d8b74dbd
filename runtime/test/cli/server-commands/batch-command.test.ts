import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '#test/client/helpers/local-service.ts';
import { runCli } from './run-cli.ts';

let service: LocalService;
let dir: string;

beforeAll(async () => {
  service = await startLocalService({ stepMs: 5 });
  dir = await mkdtemp(join(tmpdir(), 'vibe-batch-cli-'));
  await copyFile('test/fixtures/sample/photo.jpg', join(dir, 'photo.jpg'));
});

afterAll(async () => {
  await service.close();
  await rm(dir, { recursive: true, force: true });
});

describe('vibe batch', () => {
  it('uploads local images, submits the manifest, shows progress, writes the results; broken lines are reported', async () => {
    const manifest = join(dir, 'photos.jsonl');
    await writeFile(
      manifest,
      [
        JSON.stringify({ image: { path: 'photo.jpg' }, instruction: 'make it winter', steps: 2 }),
        '{ this line is broken',
        JSON.stringify({
          image: { path: 'photo.jpg' },
          instruction: 'add a hat',
          steps: 3,
          seed: 9,
        }),
        JSON.stringify({ image: { path: 'photo.jpg' }, instruction: 'x', steps: 500 }),
        '',
      ].join('\n'),
    );

    const run = await runCli([
      'batch',
      manifest,
      '--server',
      service.url,
      '--api-key',
      service.apiKey,
    ]);

    expect(run.stderr).toContain('uploaded 3 local images');
    expect(run.stderr).toMatch(/batch bat_[0-9a-f]{32}: 2 of 4 items accepted, 2 refused/);
    expect(run.stderr).toMatch(/line 2: INVALID_ARGUMENT: /);
    expect(run.stderr).toContain(
      'line 4: INVALID_ARGUMENT: Expected "steps" to be an integer from 1 to 100 but received 500',
    );
    expect(run.stderr).toMatch(/items \[#{30}\] 4\/4/);
    expect(run.stderr).toMatch(/completed: 2 succeeded, 0 failed, 2 rejected/);
    // Not every item succeeded: the command says so with its status.
    expect(run.code).toBe(1);
    const results = (await readFile(join(dir, 'photos.results.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { line: number; status: string });
    expect(results.map(({ line, status }) => ({ line, status }))).toEqual([
      { line: 1, status: 'succeeded' },
      { line: 2, status: 'rejected' },
      { line: 3, status: 'succeeded' },
      { line: 4, status: 'rejected' },
    ]);
  });

  it('exits 0 when every item succeeded, writing the results where -o says', async () => {
    const manifest = join(dir, 'one.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(
      manifest,
      `${JSON.stringify({ image: { path: 'photo.jpg' }, instruction: 'snow', steps: 1 })}\n`,
    );

    const run = await runCli(['batch', manifest, '-o', output], {
      VIBE_SERVER_URL: service.url,
      VIBE_API_KEY: service.apiKey,
    });

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`results in ${output}`);
    expect(JSON.parse((await readFile(output, 'utf8')).trim())).toMatchObject({
      line: 1,
      status: 'succeeded',
    });
  });
});
