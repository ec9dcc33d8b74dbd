/**
 * The whole VIBE pipeline on tiny generated bundles (CPU). Tiny bundles test wiring and host
 * logic, not image quality: their output is not a real edit. Their DiT is an oracle that steers
 * the sampler toward the image latent plus a caption-dependent tint, so the output must resemble
 * the input, which makes wiring mistakes (swapped channels, lost image latent) visible.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedResources } from '#runtime/engine/pipeline-resources.ts';
import { runEditPipeline } from '#runtime/pipeline/edit-pipeline.ts';
import type { TraceStage } from '#runtime/pipeline/pipeline-types.ts';
import { readSamplePhoto, recordingResources, tinyResources } from './pipeline-fixtures.ts';

/** Mean absolute difference per channel value between two same-size RGB images, 0..255. */
async function meanAbsDiff(a: Uint8Array, b: Uint8Array, w: number, h: number): Promise<number> {
  const [ra, rb] = await Promise.all(
    [a, b].map((img) => sharp(img).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
  );
  let sum = 0;
  for (let i = 0; i < ra!.length; i += 1) sum += Math.abs(ra![i]! - rb![i]!);
  return sum / ra!.length;
}

/** Pearson correlation of the grey levels of two images at 20×15 (the tiny VAE's block grid). */
async function lumaCorrelation(a: Uint8Array, b: Uint8Array): Promise<number> {
  const [ga, gb] = await Promise.all(
    [a, b].map((img) => sharp(img).resize(20, 15, { fit: 'fill' }).greyscale().raw().toBuffer()),
  );
  const n = ga!.length;
  const mean = (g: Buffer) => g.reduce((s, v) => s + v, 0) / n;
  const [ma, mb] = [mean(ga!), mean(gb!)];
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i += 1) {
    const da = ga![i]! - ma;
    const db = gb![i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return cov / Math.sqrt(va * vb);
}

describe('runEditPipeline on the tiny float32 bundle', () => {
  let resources: LoadedResources;
  let photo: Uint8Array;

  beforeAll(async () => {
    resources = await tinyResources('float32');
    photo = await readSamplePhoto();
  });
  afterAll(async () => {
    await resources.release();
  });

  it('edits a JPEG into a PNG of the input size with the resolved defaults', async () => {
    const steps: number[] = [];
    const result = await runEditPipeline(
      resources,
      { image: photo, instruction: 'make it winter' },
      { onProgress: (p) => steps.push(p.step) },
    );

    const meta = await sharp(result.image).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([640, 480]);
    expect(result).toMatchObject({
      width: 640,
      height: 480,
      bin: { width: 576, height: 416 },
      steps: 20,
      seed: 42,
      sizeMode: 'aligned',
      guidance: { mode: 'full', guidanceScale: 4.5, imageGuidanceScale: 1.2 },
      model: { name: 'vibe-tiny-test', synthetic: true },
    });
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(result.timings.graphMs).toBeGreaterThan(0);
    expect(result.timings.hostMs).toBeGreaterThan(0);
    expect(Object.keys(result.timings.stages)).toEqual(
      expect.arrayContaining(['decode', 'vlm_preprocess', 'tokenize', 'denoise_host', 'encode']),
    );
  });

  it('returns a (blocky, tinted) copy of the input: the image latent reaches the DiT', async () => {
    const unguided = await runEditPipeline(resources, {
      image: photo,
      instruction: 'make it winter',
      guidanceScale: 1,
      steps: 8,
    });
    expect(unguided.guidance.mode).toBe('none');
    // The oracle converges to the image latent plus a tint, so the output's light and dark regions
    // follow the input's; a pipeline that lost or misplaced the image latent gives noise or a flat image.
    expect(await lumaCorrelation(unguided.image, photo)).toBeGreaterThan(0.8);
    const mirrored = await sharp(photo).flip().jpeg().toBuffer();
    expect(await lumaCorrelation(unguided.image, mirrored)).toBeLessThan(0.5);
  });

  it('is deterministic for a seed and uses the noise of that seed', async () => {
    const tensors = (seed: number) => {
      const seen = new Map<TraceStage, Float32Array | Int32Array>();
      return {
        seen,
        run: runEditPipeline(
          resources,
          { image: photo, instruction: 'add snow', seed, steps: 3 },
          { onTensor: (stage, data) => seen.set(stage, data.slice()) },
        ),
      };
    };
    const a = tensors(7);
    const b = tensors(7);
    const c = tensors(8);
    const [ra, rb] = await Promise.all([a.run, b.run, c.run]);
    expect(Buffer.from(ra!.image).equals(Buffer.from(rb!.image))).toBe(true);
    expect(a.seen.get('initial_noise')).toEqual(b.seen.get('initial_noise'));
    expect(a.seen.get('initial_noise')).not.toEqual(c.seen.get('initial_noise'));
    expect(a.seen.get('noise_pred_step0')).not.toEqual(c.seen.get('noise_pred_step0'));
  });

  it('gives the same output when its reused host buffers held a larger job before', async () => {
    const request = { image: photo, instruction: 'make it winter', steps: 3 };
    const first = await runEditPipeline(resources, request);
    const larger = await sharp({
      create: { width: 1400, height: 900, channels: 3, background: { r: 200, g: 40, b: 90 } },
    })
      .jpeg()
      .toBuffer();
    await runEditPipeline(resources, { image: larger, instruction: 'paint it red, then more' });
    const again = await runEditPipeline(resources, request);
    expect(Buffer.from(again.image).equals(Buffer.from(first.image))).toBe(true);
  });

  it('runs the three guidance branches as one DiT batch per step, in the reference order', async () => {
    const { resources: recorded, runs } = recordingResources(resources);
    await runEditPipeline(recorded, { image: photo, instruction: 'make it winter', steps: 4 });

    const ditRuns = runs.filter((r) => r.graph === 'dit');
    expect(ditRuns).toHaveLength(4);
    const first = ditRuns[0]!.feeds;
    expect(first.hidden_states!.dims).toEqual([3, 64, 13, 18]);
    expect(first.encoder_hidden_states!.dims).toEqual([3, 224, 2304]);
    expect(Array.from(first.timestep!.data)).toEqual([999, 999, 999]);
    // 4 steps with shift 3: σ = 0.99967, 0.9, 0.75, 0.5 → integer timesteps.
    expect(ditRuns.map((r) => r.feeds.timestep!.data[0])).toEqual([999, 899, 749, 499]);
    // Rows: [x⊕I, c], [x⊕I, ∅], [x⊕0, ∅]: the image latent sits in channels 32..63 of rows 0 and 1 only.
    const hs = first.hidden_states!.data as Float32Array;
    const plane = 13 * 18;
    const rowSize = 64 * plane;
    const imageChannels = (row: number) =>
      hs.subarray(row * rowSize + 32 * plane, (row + 1) * rowSize);
    expect(imageChannels(0)).toEqual(imageChannels(1));
    expect(imageChannels(2).every((v) => v === 0)).toBe(true);
    expect(imageChannels(0).some((v) => v !== 0)).toBe(true);
    const ehs = first.encoder_hidden_states!.data as Float32Array;
    const cap = 224 * 2304;
    expect(ehs.subarray(cap, 2 * cap)).toEqual(resources.hidNull);
    expect(ehs.subarray(2 * cap, 3 * cap)).toEqual(resources.hidNull);
    expect(ehs.subarray(0, cap)).not.toEqual(resources.hidNull);
    // Every graph ran, the VLM ones once.
    expect(runs.map((r) => r.graph).filter((g) => g !== 'dit')).toEqual([
      'qwen_embed',
      'qwen_vision',
      'qwen_lm_hidden',
      'connector',
      'vae_encoder',
      'vae_decoder',
    ]);
  });

  it.each([
    { guidanceScale: 4.5, imageGuidanceScale: 1.0, mode: 'full', batch: 3 },
    { guidanceScale: 4.5, imageGuidanceScale: 0.99, mode: 'text', batch: 2 },
    { guidanceScale: 1.0, imageGuidanceScale: 1.2, mode: 'none', batch: 1 },
    { guidanceScale: 0, imageGuidanceScale: 0, mode: 'none', batch: 1 },
  ])(
    'uses guidance mode $mode (batch $batch) for g=$guidanceScale, g_img=$imageGuidanceScale',
    async (row) => {
      const { resources: recorded, runs } = recordingResources(resources);
      const result = await runEditPipeline(recorded, {
        image: photo,
        instruction: 'make it winter',
        steps: 2,
        guidanceScale: row.guidanceScale,
        imageGuidanceScale: row.imageGuidanceScale,
      });
      expect(result.guidance.mode).toBe(row.mode);
      const dit = runs.find((r) => r.graph === 'dit')!;
      expect(dit.feeds.hidden_states!.dims[0]).toBe(row.batch);
    },
  );

  it('generates from text alone: no vision graph, zero image latent, 2-way guidance', async () => {
    const { resources: recorded, runs } = recordingResources(resources);
    const result = await runEditPipeline(recorded, {
      instruction: 'a red house under a yellow sun',
      steps: 2,
      width: 1024,
      height: 768,
    });
    expect(runs.some((r) => r.graph === 'qwen_vision')).toBe(false);
    expect(runs.some((r) => r.graph === 'vae_encoder')).toBe(false);
    expect(result.guidance.mode).toBe('text');
    const dit = runs.find((r) => r.graph === 'dit')!;
    const hs = dit.feeds.hidden_states!.data as Float32Array;
    const [, , h, w] = dit.feeds.hidden_states!.dims as [number, number, number, number];
    expect(hs.subarray(32 * h * w, 64 * h * w).every((v) => v === 0)).toBe(true);
    expect([result.width, result.height]).toEqual([1024, 768]);
  });

  it('reports each stage tensor with the contract shapes for parity checks', async () => {
    const shapes = new Map<TraceStage, readonly number[]>();
    await runEditPipeline(
      resources,
      { image: photo, instruction: 'make it winter', steps: 2, sizeMode: 'parity' },
      { onTensor: (stage, _data, dims) => shapes.set(stage, dims) },
    );
    // 640×480 → smart_resize 640×480 → grid 30×40 → 1200 patches, 300 image tokens.
    expect(shapes.get('vlm_pixel_values')).toEqual([1200, 1536]);
    expect(shapes.get('image_embeds')).toEqual([300, 2048]);
    expect(shapes.get('deepstack')).toEqual([3, 300, 2048]);
    expect(shapes.get('meta_hidden')).toEqual([1, 224, 2048]);
    expect(shapes.get('cond')).toEqual([1, 224, 2304]);
    expect(shapes.get('image_latent')).toEqual([1, 32, 13, 18]);
    expect(shapes.get('final_latent')).toEqual([1, 32, 13, 18]);
    expect(shapes.get('decoded')).toEqual([1, 3, 416, 576]);
  });

  it('uses injected noise instead of the seeded noise', async () => {
    const noise = new Float32Array(32 * 13 * 18).fill(0.5);
    let seen: Float32Array | Int32Array | undefined;
    await runEditPipeline(
      resources,
      { image: photo, instruction: 'make it winter', steps: 1, noise },
      {
        onTensor: (stage, data) => {
          if (stage === 'initial_noise') seen = data;
        },
      },
    );
    expect(seen).toEqual(noise);
  });

  it('stops between steps when canceled', async () => {
    let step = 0;
    await expect(
      runEditPipeline(
        resources,
        { image: photo, instruction: 'make it winter', steps: 10 },
        {
          onProgress: (p) => {
            step = p.step;
          },
          isCanceled: () => step >= 3,
        },
      ),
    ).rejects.toMatchObject({ code: 'CANCELED', message: expect.stringContaining('step 4 of 10') });
    expect(step).toBe(3);
  });

  it.each([
    ['png', 'png'],
    ['jpeg', 'jpeg'],
    ['webp', 'webp'],
  ] as const)('encodes %s output', async (format, sharpFormat) => {
    const result = await runEditPipeline(resources, {
      image: photo,
      instruction: 'make it winter',
      steps: 1,
      output: { format, quality: 80 },
    });
    expect((await sharp(result.image).metadata()).format).toBe(sharpFormat);
  });
});

describe('runEditPipeline on the tiny float16 bundle', () => {
  let fp16: LoadedResources;
  let fp32: LoadedResources;
  let photo: Uint8Array;

  beforeAll(async () => {
    [fp16, fp32] = await Promise.all([tinyResources('float16'), tinyResources('float32')]);
    photo = await readSamplePhoto();
  });
  afterAll(async () => {
    await Promise.all([fp16.release(), fp32.release()]);
  });

  it('feeds float16 tensors as Uint16Array and matches the float32 bundle closely', async () => {
    const { resources: recorded, runs } = recordingResources(fp16);
    const request = { image: photo, instruction: 'make it winter', steps: 6, guidanceScale: 1 };
    const [half, full] = await Promise.all([
      runEditPipeline(recorded, request),
      runEditPipeline(fp32, request),
    ]);
    const dit = runs.find((r) => r.graph === 'dit')!;
    expect(dit.feeds.hidden_states!.dtype).toBe('float16');
    expect(dit.feeds.hidden_states!.data).toBeInstanceOf(Uint16Array);
    expect(dit.feeds.timestep!.dtype).toBe('float32');
    expect(await meanAbsDiff(half.image, full.image, 640, 480)).toBeLessThan(2);
  });
});

describe('runEditPipeline on the tiny CFG-distilled bundle', () => {
  it('runs without guidance (batch 1) whatever scales the caller sends', async () => {
    const distilled = await tinyResources('float32', true);
    try {
      const { resources: recorded, runs } = recordingResources(distilled);
      const result = await runEditPipeline(recorded, {
        image: await readSamplePhoto(),
        instruction: 'make it winter',
        steps: 2,
        guidanceScale: 4.5,
      });
      expect(result.guidance.mode).toBe('none');
      expect(runs.find((r) => r.graph === 'dit')!.feeds.hidden_states!.dims[0]).toBe(1);
    } finally {
      await distilled.release();
    }
  });
});
