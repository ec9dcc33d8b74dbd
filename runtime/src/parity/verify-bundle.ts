import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { BundleError } from '#core/errors.ts';
import { loadPipelineResources } from '#runtime/engine/pipeline-resources.ts';
import type { ExecutionProviderConfig } from '#runtime/onnx/execution-provider.ts';
import { runEditPipeline } from '#runtime/pipeline/edit-pipeline.ts';
import type { TraceStage } from '#runtime/pipeline/pipeline-types.ts';
import { compareStage, type StageComparison } from './compare-stage.ts';
import { readParityTrace } from './trace-reader.ts';

export interface VerifyOptions {
  readonly bundleDir: string;
  /** Bundle-relative trace path. @default the manifest's `parityTrace` */
  readonly tracePath?: string;
  readonly provider: ExecutionProviderConfig;
}

export interface VerifyOutcome {
  readonly results: readonly StageComparison[];
  /** Trace stages this pipeline does not produce (reported, not judged). */
  readonly skipped: readonly string[];
  readonly pass: boolean;
}

/**
 * Runs the bundle on its parity trace's request with the trace's injected noise, and compares
 * every stage the pipeline produces with the PyTorch reference's tensor, plus the final image.
 */
export async function verifyBundle(options: VerifyOptions): Promise<VerifyOutcome> {
  const resources = await loadPipelineResources({
    bundleDir: options.bundleDir,
    provider: options.provider,
  });
  try {
    const tracePath = options.tracePath ?? resources.manifest.parityTrace;
    if (tracePath === undefined) {
      throw new BundleError(
        'BUNDLE_INVALID',
        `The bundle ${options.bundleDir} has no parity trace (manifest.json field parityTrace); export it with the exporter's parity step or pass --trace`,
      );
    }
    const trace = await readParityTrace(options.bundleDir, tracePath);
    const noise = await trace.stage('initial_noise').load();
    if (noise.dtype !== 'float32') {
      throw new BundleError(
        'BUNDLE_INVALID',
        `The trace's initial_noise must be float32, found ${noise.dtype}`,
      );
    }
    const produced = new Map<string, Float32Array | Int32Array>();
    const result = await runEditPipeline(
      resources,
      {
        image: await readFile(trace.request.imagePath),
        instruction: trace.request.instruction,
        steps: trace.request.steps,
        guidanceScale: trace.request.guidanceScale,
        imageGuidanceScale: trace.request.imageGuidanceScale,
        seed: trace.request.seed,
        sizeMode: trace.request.sizeMode,
        output: { format: 'png' },
        noise: noise.data,
      },
      { onTensor: (stage: TraceStage, data) => produced.set(stage, data.slice()) },
    );
    produced.set('hid_null', resources.hidNull);
    const { data: outputRgb } = await sharp(result.image).removeAlpha().raw().toBuffer({
      resolveWithObject: true,
    });

    const results: StageComparison[] = [];
    const skipped: string[] = [];
    for (const [stage, entry] of trace.tensors) {
      const actual = stage === 'output_image' ? new Uint8Array(outputRgb) : produced.get(stage);
      if (actual === undefined) {
        skipped.push(stage);
        continue;
      }
      const expected = await entry.load();
      results.push(compareStage(stage, expected.data, actual));
    }
    return { results, skipped, pass: results.length > 0 && results.every((r) => r.pass) };
  } finally {
    await resources.release();
  }
}
