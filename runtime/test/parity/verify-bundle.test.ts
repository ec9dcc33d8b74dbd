/**
 * `vibe verify` mechanics on a tiny bundle. The reference trace here is recorded from this same
 * pipeline (no PyTorch on our machines), so a pass proves the plumbing (noise injection, stage
 * capture, comparison, final-image PSNR), and the perturbed traces prove it can fail. The real
 * check runs on an exported bundle with the exporter's PyTorch trace.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipelineResources } from '#runtime/engine/pipeline-resources.ts';
import { verifyBundle } from '#runtime/parity/verify-bundle.ts';
import { gaussianNoise } from '#runtime/pipeline/denoise/seeded-noise.ts';
import { runEditPipeline } from '#runtime/pipeline/edit-pipeline.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { readSamplePhoto } from '../pipeline/pipeline-fixtures.ts';

const REQUEST = {
  instruction: 'make it winter',
  steps: 4,
  guidanceScale: 4.5,
  imageGuidanceScale: 1.2,
  seed: 42,
  sizeMode: 'parity' as const,
};

/** Records a parity trace of the tiny bundle's own run, in the exporter's trace format. */
async function recordTrace(bundleDir: string): Promise<void> {
  const resources = await loadPipelineResources({ bundleDir, provider: { name: 'cpu' } });
  const photo = await readSamplePhoto();
  const noise = gaussianNoise(1, 32 * 13 * 18);
  const tensors: Record<string, { file: string; dtype: string; dims: readonly number[] }> = {};
  await mkdir(join(bundleDir, 'parity'), { recursive: true });
  const writes: Promise<void>[] = [];
  const result = await runEditPipeline(
    resources,
    { image: photo, ...REQUEST, noise },
    {
      onTensor: (stage, data, dims) => {
        const ext = data instanceof Int32Array ? 'i32' : 'f32';
        const file = `parity/${stage}.${ext}`;
        tensors[stage] = { file, dtype: ext === 'i32' ? 'int32' : 'float32', dims };
        writes.push(writeFile(join(bundleDir, file), new Uint8Array(data.slice().buffer)));
      },
    },
  );
  await resources.release();
  await Promise.all(writes);
  await writeFile(join(bundleDir, 'parity/input.jpg'), photo);
  await writeFile(join(bundleDir, 'parity/output.png'), result.image);
  tensors.output_image = { file: 'parity/output.png', dtype: 'uint8', dims: [480, 640, 3] };
  const trace = {
    traceVersion: 1,
    reference: {
      diffusers: 'n/a',
      transformers: 'n/a',
      torch: 'n/a',
      device: 'cpu',
      dtype: 'float32',
    },
    request: { image: 'parity/input.jpg', ...REQUEST },
    tensors,
  };
  await writeFile(join(bundleDir, 'parity/trace.json'), JSON.stringify(trace, null, 2));
}

describe('verifyBundle', () => {
  let bundleDir: string;

  beforeAll(async () => {
    bundleDir = await mkdtemp(join(tmpdir(), 'vibe-verify-'));
    await cp(await ensureTinyBundle({ precision: 'float32' }), bundleDir, { recursive: true });
    await recordTrace(bundleDir);
  });
  afterAll(async () => {
    await rm(bundleDir, { recursive: true, force: true });
  });

  it('passes every stage when the bundle reproduces its trace', async () => {
    const outcome = await verifyBundle({
      bundleDir,
      tracePath: 'parity/trace.json',
      provider: { name: 'cpu' },
    });
    expect(outcome.pass).toBe(true);
    const stages = outcome.results.map((r) => r.stage);
    expect(stages).toEqual(
      expect.arrayContaining(['input_ids', 'meta_hidden', 'cond', 'final_latent', 'output_image']),
    );
    for (const r of outcome.results.filter(
      (x) => x.stage !== 'input_ids' && x.stage !== 'output_image',
    )) {
      expect(r.cosine, r.stage).toBeCloseTo(1, 6);
    }
    expect(outcome.results.find((r) => r.stage === 'output_image')!.psnr).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('fails the stage whose reference differs, and the final image', async () => {
    const condPath = join(bundleDir, 'parity/cond.f32');
    const original = await readFile(condPath);
    const flipped = new Float32Array(original.buffer.slice(0)).map((v) => -v);
    const outputPath = join(bundleDir, 'parity/output.png');
    const originalOutput = await readFile(outputPath);
    await writeFile(condPath, new Uint8Array(flipped.buffer));
    await writeFile(
      outputPath,
      await sharp(originalOutput).negate({ alpha: false }).png().toBuffer(),
    );
    try {
      const outcome = await verifyBundle({
        bundleDir,
        tracePath: 'parity/trace.json',
        provider: { name: 'cpu' },
      });
      expect(outcome.pass).toBe(false);
      const byStage = new Map(outcome.results.map((r) => [r.stage, r]));
      expect(byStage.get('cond')).toMatchObject({ pass: false });
      expect(byStage.get('cond')!.cosine).toBeCloseTo(-1, 5);
      expect(byStage.get('meta_hidden')).toMatchObject({ pass: true });
      expect(byStage.get('output_image')).toMatchObject({ pass: false });
    } finally {
      await writeFile(condPath, original);
      await writeFile(outputPath, originalOutput);
    }
  });

  it('says how to get a trace when the bundle has none', async () => {
    await expect(
      verifyBundle({
        bundleDir: await ensureTinyBundle({ precision: 'float32' }),
        provider: { name: 'cpu' },
      }),
    ).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      message: expect.stringContaining('parityTrace'),
    });
  });
});
