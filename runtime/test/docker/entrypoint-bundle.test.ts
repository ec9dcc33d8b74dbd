import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// How runtime/docker/entrypoint.sh finds the bundle; its GPU and provider checks are in
// runtime/test/dockerfile.test.ts.
const ENTRYPOINT = fileURLToPath(new URL('../../docker/entrypoint.sh', import.meta.url));

describe('runtime/docker/entrypoint.sh bundle lookup', () => {
  let dir: string;
  let app: string;
  let smi: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vibe-entrypoint-bundle-'));
    app = join(dir, 'app');
    const ortDir = join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    mkdirSync(ortDir, { recursive: true });
    writeFileSync(join(ortDir, 'libonnxruntime_providers_cuda.so'), '');
    smi = join(dir, 'nvidia-smi');
    writeFileSync(smi, '#!/usr/bin/env bash\necho "NVIDIA L4, 23034 MiB"\n');
    chmodSync(smi, 0o755);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the entrypoint with a command that prints the bundle folder the worker would get. */
  function start(cache: string, env: Record<string, string> = {}) {
    const result = spawnSync(
      'bash',
      [
        ENTRYPOINT,
        'bash',
        '-c',
        'echo "worker VIBE_BUNDLE_DIR=$(printenv VIBE_BUNDLE_DIR || echo unset)"',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          VIBE_APP_DIR: app,
          VIBE_MODEL_CACHE_DIR: cache,
          VIBE_NVIDIA_SMI: smi,
          ...env,
        },
        encoding: 'utf8',
      },
    );
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function bundle(folder: string, ageSeconds: number): void {
    mkdirSync(folder, { recursive: true });
    const manifest = join(folder, 'manifest.json');
    writeFileSync(manifest, '{}');
    const at = Date.now() / 1000 - ageSeconds;
    utimesSync(manifest, at, at);
  }

  it('starts with an empty cache when the worker downloads the bundle from S3', () => {
    const cache = join(dir, 'empty-cache');

    const result = start(cache, { VIBE_MODEL_S3_URI: 's3://bucket/models/vibe/v2/' });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `bundle s3://bucket/models/vibe/v2/, cache ${cache} (downloaded by the worker if missing)`,
    );
    expect(result.stdout).toContain('worker VIBE_BUNDLE_DIR=unset');
  });

  it('passes the newest cached bundle on as VIBE_BUNDLE_DIR when there is no S3 URI', () => {
    const cache = join(dir, 'two-versions');
    bundle(join(cache, 'v1'), 3_600);
    bundle(join(cache, 'v2'), 60);
    bundle(join(cache, 'v0'), 7_200);

    const result = start(cache);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`worker VIBE_BUNDLE_DIR=${cache}/v2`);
  });

  it('checks a given VIBE_BUNDLE_DIR for its manifest', () => {
    const cache = join(dir, 'unused-cache');
    const given = join(dir, 'mounted-bundle');
    mkdirSync(given, { recursive: true });

    const without = start(cache, { VIBE_BUNDLE_DIR: given });
    bundle(given, 0);
    const withManifest = start(cache, { VIBE_BUNDLE_DIR: given });

    expect(without.code).toBe(78);
    expect(without.stderr).toContain(
      `refusing to start: no model bundle: VIBE_BUNDLE_DIR is ${given} but holds no manifest.json`,
    );
    expect(withManifest.code).toBe(0);
    expect(withManifest.stdout).toContain(`worker VIBE_BUNDLE_DIR=${given}`);
  });
});
