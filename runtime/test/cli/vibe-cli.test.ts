/**
 * The `vibe` command as a user runs it: a child process, exit codes, messages on stderr, and
 * never a partial output file. Runs on the tiny test bundle, whose output is not a real edit.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { SAMPLE_PHOTO } from '../pipeline/pipeline-fixtures.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function vibe(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('vibe edit', () => {
  let bundle: string;
  let out: string;

  beforeAll(async () => {
    bundle = await ensureTinyBundle({ precision: 'float32' });
    out = await mkdtemp(join(tmpdir(), 'vibe-cli-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('edits an image with a progress bar, timings and the tiny-bundle warning', async () => {
    const target = join(out, 'winter.jpg');
    const run = await vibe([
      'edit',
      SAMPLE_PHOTO,
      'make it winter',
      '-o',
      target,
      '--model',
      bundle,
      '--steps',
      '5',
      '--seed',
      '3',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('TINY TEST BUNDLE');
    expect(run.stderr).toContain('NOT a real edit');
    expect(run.stderr).toMatch(/denoising \[#+\] 5\/5/);
    expect(run.stderr).toMatch(/host \(all but graphs\)\s+\d+\.\d/);
    const meta = await sharp(target).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 640, 480]);
  });

  it('takes the bundle from VIBE_MODEL_DIR', async () => {
    const target = join(out, 'env.png');
    const run = await vibe(['edit', SAMPLE_PHOTO, 'make it winter', '-o', target, '--steps', '1'], {
      VIBE_MODEL_DIR: bundle,
    });
    expect(run.code, run.stderr).toBe(0);
    expect((await sharp(target).metadata()).format).toBe('png');
  });

  it('stops with a clear message on how to get a bundle when none is given', async () => {
    const run = await vibe(['edit', SAMPLE_PHOTO, 'make it winter', '-o', join(out, 'none.png')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error BUNDLE_MISSING: No model bundle given.');
    expect(run.stderr).toContain('docs/exporter.md');
    expect(run.stderr).toContain('npm run tiny-bundle');
  });

  it.each([
    [
      ['--steps', '500'],
      'INVALID_ARGUMENT: Expected "steps" to be an integer from 1 to 100 but received 500',
    ],
    [['--guidance', 'lots'], 'INVALID_ARGUMENT: Expected a number for --guidanceScale'],
    [['--size-mode', 'zoom'], 'Expected "size-mode" to be one of aligned, parity'],
  ])('refuses %j before loading the model, leaving no file', async (extra, message) => {
    const target = join(out, 'refused.png');
    const run = await vibe([
      'edit',
      SAMPLE_PHOTO,
      'make it winter',
      '-o',
      target,
      '--model',
      bundle,
      ...extra,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('ready in');
    expect(await readdir(out)).not.toContain('refused.png');
  });

  it('refuses a corrupt image and an empty instruction with stable codes and no output file', async () => {
    const corrupt = join(out, 'corrupt.jpg');
    await writeFile(corrupt, 'this is not an image');
    const bad = await vibe([
      'edit',
      corrupt,
      'make it winter',
      '-o',
      join(out, 'bad.png'),
      '--model',
      bundle,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error UNSUPPORTED_IMAGE_FORMAT');
    const empty = await vibe([
      'edit',
      SAMPLE_PHOTO,
      '  ',
      '-o',
      join(out, 'bad.png'),
      '--model',
      bundle,
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('error INVALID_INSTRUCTION');
    expect((await readdir(out)).filter((f) => f.includes('bad'))).toEqual([]);
  });

  it('refuses an output name whose format it cannot tell', async () => {
    const run = await vibe([
      'edit',
      SAMPLE_PHOTO,
      'make it winter',
      '-o',
      join(out, 'x.gif'),
      '--model',
      bundle,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('.png, .jpg, .jpeg or .webp');
  });
});
