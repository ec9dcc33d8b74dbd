import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Docker cannot run on CI machines: the Dockerfile is checked as text and its scripts are run here.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, 'runtime/Dockerfile'), 'utf8');
const ENTRYPOINT = join(ROOT, 'runtime/docker/entrypoint.sh');
const HEALTH_CHECK = join(ROOT, 'runtime/docker/health-check.sh');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const all = instructions(DOCKERFILE);
const argDefaults = Object.fromEntries(
  all
    .filter((i) => i.keyword === 'ARG' && i.args.includes('='))
    .map((i) => i.args.split('=') as [string, string]),
);
const resolve = (value: string) =>
  value.replace(/\$\{(\w+)\}/g, (_, name: string) => argDefaults[name] ?? `\${${name}}`);
const fromImages = all
  .filter((i) => i.keyword === 'FROM')
  .map((i) => resolve(i.args.split(/\s+/)[0] ?? ''));
const finalStage = all.slice(all.findLastIndex((i) => i.keyword === 'FROM'));

describe('runtime/Dockerfile', () => {
  it('pins every external base image by exact version or digest', () => {
    const external = fromImages.filter((image) => image.includes(':') || image.includes('@'));
    expect(external).toHaveLength(2);
    for (const image of external) {
      expect(image).toMatch(/(:[\w.-]*\d+\.\d+\.\d+[\w.-]*|@sha256:[a-f0-9]{64})$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('runs on the CUDA 12 + cuDNN 9 runtime and Node 22', () => {
    expect(argDefaults.CUDA_IMAGE).toMatch(
      /^nvidia\/cuda:12\.\d+\.\d+-cudnn9?-runtime-ubuntu\d+\.\d+$/,
    );
    expect(argDefaults.NODE_IMAGE).toMatch(/^node:22\.\d+\.\d+-/);
    expect(resolve(all.findLast((i) => i.keyword === 'FROM')?.args ?? '')).toMatch(
      /^nvidia\/cuda:12\./,
    );
    expect(
      finalStage.some(
        (i) => i.keyword === 'COPY' && i.args.startsWith('--from=node /usr/local/bin/node'),
      ),
    ).toBe(true);
  });

  it('installs onnxruntime-node with its CUDA provider at build time and checks it arrived', () => {
    const install = all.find((i) => i.keyword === 'RUN' && i.args.includes('npm ci'));
    expect(install?.args).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci --omit=dev/);
    expect(install?.args).toContain(
      'test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so',
    );
  });

  it('runs as a non-root user from before the entrypoint on', () => {
    const users = finalStage.filter((i) => i.keyword === 'USER');
    expect(users.map((u) => u.args)).toEqual(['10001:10001']);
    const userAt = finalStage.findIndex((i) => i.keyword === 'USER');
    expect(userAt).toBeLessThan(finalStage.findIndex((i) => i.keyword === 'ENTRYPOINT'));
    expect(
      finalStage.some((i) => i.keyword === 'RUN' && i.args.includes('useradd --uid 10001')),
    ).toBe(true);
  });

  it('sets the model cache path and a health check, and starts the worker through the entrypoint', () => {
    expect(DOCKERFILE).toMatch(/VIBE_MODEL_CACHE_DIR=\/var\/cache\/vibe\/models/);
    const health = finalStage.find((i) => i.keyword === 'HEALTHCHECK');
    expect(health?.args).toMatch(
      /--interval=30s .*--start-period=300s .*CMD \["\/app\/runtime\/docker\/health-check\.sh"\]/,
    );
    expect(finalStage.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe(
      '["/app/runtime/docker/entrypoint.sh"]',
    );
    expect(JSON.parse(finalStage.find((i) => i.keyword === 'CMD')?.args ?? '[]')).toEqual([
      'node',
      '--import',
      'tsx',
      'runtime/src/worker/main.ts',
    ]);
    for (const script of [ENTRYPOINT, HEALTH_CHECK]) {
      expect(() => accessSync(script, constants.X_OK)).not.toThrow();
    }
  });

  it('copies only paths that exist and that the build context sends', () => {
    const ignore = readFileSync(join(ROOT, 'runtime/Dockerfile.dockerignore'), 'utf8');
    const sources = finalStage
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(4);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      const top = source.split('/').slice(0, 2).join('/');
      expect(ignore.includes(`!${source}`) || ignore.includes(`!${top}`), `${source} is sent`).toBe(
        true,
      );
    }
  });
});

describe('runtime/docker/entrypoint.sh', () => {
  let dir: string;
  let app: string;
  let cache: string;
  let smi: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vibe-entrypoint-'));
    app = join(dir, 'app');
    cache = join(dir, 'cache');
    mkdirSync(cache);
    smi = join(dir, 'nvidia-smi');
    writeFileSync(smi, '#!/usr/bin/env bash\necho "NVIDIA H100 80GB HBM3, 81559 MiB"\n');
    chmodSync(smi, 0o755);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function start(env: Record<string, string>) {
    const result = spawnSync('bash', [ENTRYPOINT, 'echo', 'worker started'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        VIBE_APP_DIR: app,
        VIBE_MODEL_CACHE_DIR: cache,
        VIBE_NVIDIA_SMI: smi,
        ...env,
      },
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function installProvider(): void {
    const ortDir = join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    mkdirSync(ortDir, { recursive: true });
    writeFileSync(join(ortDir, 'libonnxruntime_providers_cuda.so'), '');
  }

  it('refuses to start without a GPU, saying how to give it one', () => {
    const result = start({ VIBE_NVIDIA_SMI: join(dir, 'missing-nvidia-smi') });

    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(
      /refusing to start: no GPU: nvidia-smi is not available.*gpuCount 1/,
    );
    expect(result.stdout).not.toContain('worker started');
  });

  it('refuses to start when nvidia-smi cannot reach the driver', () => {
    const broken = join(dir, 'broken-smi');
    writeFileSync(
      broken,
      '#!/usr/bin/env bash\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver"\nexit 9\n',
    );
    chmodSync(broken, 0o755);

    const result = start({ VIBE_NVIDIA_SMI: broken });

    expect(result.code).toBe(78);
    expect(result.stderr).toContain(
      "no GPU: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate",
    );
  });

  it('refuses to start without the CUDA execution provider', () => {
    const result = start({
      VIBE_APP_DIR: join(dir, 'app-without-provider'),
      VIBE_MODEL_S3_URI: 's3://bucket/models/vibe/v1/',
    });

    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(
      /CUDA execution provider of onnxruntime-node is missing.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
  });

  it('refuses to start without a bundle, and with a malformed bundle URI', () => {
    installProvider();

    const none = start({});
    const malformed = start({ VIBE_MODEL_S3_URI: 'bucket/models/v1' });

    expect(none.code).toBe(78);
    expect(none.stderr).toMatch(
      /no model bundle: set VIBE_MODEL_S3_URI .* or mount a bundle with its manifest\.json/,
    );
    expect(malformed.code).toBe(78);
    expect(malformed.stderr).toContain(
      "VIBE_MODEL_S3_URI must look like s3://bucket/prefix/version/ but is 'bucket/models/v1'",
    );
  });

  it('execs the worker when GPU, provider and bundle are there', () => {
    installProvider();

    const fromS3 = start({ VIBE_MODEL_S3_URI: 's3://bucket/models/vibe/v1/' });
    mkdirSync(join(cache, 'v1'), { recursive: true });
    writeFileSync(join(cache, 'v1/manifest.json'), '{}');
    const cached = start({});

    expect(fromS3.code).toBe(0);
    expect(fromS3.stdout).toContain('vibe-worker: GPU NVIDIA H100 80GB HBM3, 81559 MiB');
    expect(fromS3.stdout.trim().split('\n').at(-1)).toBe('worker started');
    expect(cached.code).toBe(0);
    expect(cached.stdout).toContain(`bundle ${cache}/v1 (no VIBE_MODEL_S3_URI)`);
  });
});

describe('runtime/docker/health-check.sh', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vibe-health-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (file: string) =>
    spawnSync('bash', [HEALTH_CHECK], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', VIBE_HEALTH_FILE: file },
      encoding: 'utf8',
    });

  it('is healthy while the worker keeps touching its file, and not before or after', () => {
    const file = join(dir, 'alive');
    const missing = check(file);
    writeFileSync(file, '');
    const fresh = check(file);
    const past = Date.now() / 1000 - 200;
    utimesSync(file, past, past);
    const stale = check(file);

    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('has not been written yet');
    expect(fresh.status).toBe(0);
    expect(stale.status).toBe(1);
    expect(stale.stdout).toMatch(/last touched 20\d s ago \(limit 90 s\)/);
  });
});
