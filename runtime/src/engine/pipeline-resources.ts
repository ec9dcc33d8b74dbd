import { loadBundle } from '#runtime/bundle/load-bundle.ts';
import type { ExecutionProviderConfig } from '#runtime/onnx/execution-provider.ts';
import { GraphSessions } from '#runtime/onnx/graph-sessions.ts';
import type { PipelineResources } from '#runtime/pipeline/pipeline-types.ts';
import { ScratchBuffers } from '#runtime/pipeline/scratch-buffers.ts';
import { constantInPrecision } from '#runtime/pipeline/tensor-io.ts';
import { loadQwenTokenizer, type QwenTokenizer } from '#runtime/pipeline/text/qwen-tokenizer.ts';
import { startTokenizerThread, type ThreadedTokenizer } from './tokenizer-thread.ts';

export interface EngineOptions {
  /** Folder of the model bundle (manifest.json and the files it lists). */
  readonly bundleDir: string;
  readonly provider: ExecutionProviderConfig;
  /** Verify every file's sha256 before taking work. @default true */
  readonly verifyChecksums?: boolean;
  /** Threads per CPU operator; 0 lets ORT choose. @default 0 */
  readonly intraOpThreads?: number;
  /**
   * Keep the tokenizer in its own thread (tokenizer-thread.ts), out of the heap that the image
   * buffers churn. `false` loads it in this thread (cheaper to start, slower per job). @default true
   */
  readonly tokenizerThread?: boolean;
}

export interface LoadedResources extends PipelineResources {
  readonly sessions: GraphSessions;
  /** Releases the sessions and ends the tokenizer thread. */
  release(): Promise<void>;
  /** Milliseconds to verify the bundle, load the tokenizer and create the sessions. */
  readonly loadMs: number;
}

/**
 * Loads and checks everything a pipeline run needs, once per process: the manifest and checksums,
 * the tokenizer, the constants (converted to the bundle precision) and one session per graph.
 */
export async function loadPipelineResources(options: EngineOptions): Promise<LoadedResources> {
  const started = performance.now();
  const bundle = await loadBundle(options.bundleDir, {
    verifyChecksums: options.verifyChecksums ?? true,
  });
  const [tokenizer, metaQueries, hidNull] = await Promise.all([
    (options.tokenizerThread ?? true)
      ? startTokenizerThread(bundle.tokenizerPaths)
      : loadQwenTokenizer(bundle.tokenizerPaths),
    bundle.readConstant('meta_queries'),
    bundle.readConstant('hid_null'),
  ]);
  let sessions: GraphSessions;
  try {
    sessions = await GraphSessions.create(bundle, {
      provider: options.provider,
      ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
    });
  } catch (error) {
    await closeTokenizer(tokenizer);
    throw error;
  }
  return {
    manifest: bundle.manifest,
    precision: bundle.manifest.precision,
    tokenizer,
    metaQueries: constantInPrecision(metaQueries, bundle.manifest.precision),
    hidNull,
    graphs: sessions,
    scratch: new ScratchBuffers(),
    sessions,
    async release() {
      await Promise.all([sessions.release(), closeTokenizer(tokenizer)]);
    },
    loadMs: performance.now() - started,
  };
}

async function closeTokenizer(tokenizer: QwenTokenizer | ThreadedTokenizer): Promise<void> {
  if ('close' in tokenizer) await tokenizer.close();
}
