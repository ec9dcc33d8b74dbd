import * as ort from 'onnxruntime-node';
import { ExecutionProviderError, InferenceError } from '#core/errors.ts';
import { GRAPH_NAMES, type GraphName } from '#runtime/bundle/graph-contract.ts';
import type { LoadedBundle } from '#runtime/bundle/load-bundle.ts';
import { checkSessionMetadata } from '#runtime/bundle/session-contract.ts';
import type { Feeds, GraphRunner, HostTensor, TensorData } from '#runtime/pipeline/graph-runner.ts';
import {
  assertExecutionProviderAvailable,
  CUDA_INSTALL_HINT,
  type ExecutionProviderConfig,
} from './execution-provider.ts';

export interface GraphSessionOptions {
  readonly provider: ExecutionProviderConfig;
  /** Threads per CPU operator; 0 lets ORT choose. Ignored by CUDA kernels. @default 0 */
  readonly intraOpThreads?: number;
}

/** Time spent inside graph runs, per graph, so callers can report host overhead separately. */
export type GraphTimings = Record<GraphName, { runs: number; ms: number }>;

/**
 * One ORT session per graph of the bundle, created once and reused for every job. This module is
 * the only place in the project that imports onnxruntime-node.
 */
export class GraphSessions implements GraphRunner {
  readonly timings: GraphTimings;

  private constructor(
    private readonly sessions: ReadonlyMap<GraphName, ort.InferenceSession>,
    private readonly bundle: LoadedBundle,
  ) {
    this.timings = Object.fromEntries(
      GRAPH_NAMES.map((name) => [name, { runs: 0, ms: 0 }]),
    ) as GraphTimings;
  }

  /**
   * Creates every session and checks each one against the manifest.
   * @throws ExecutionProviderError when the configured provider cannot be used (never falls back).
   * @throws BundleError when a graph file does not match its manifest entry.
   */
  static async create(bundle: LoadedBundle, options: GraphSessionOptions): Promise<GraphSessions> {
    assertExecutionProviderAvailable(options.provider);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [executionProvider(options.provider)],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.intraOpThreads ?? 0,
      logSeverityLevel: 3,
    };
    const sessions = new Map<GraphName, ort.InferenceSession>();
    try {
      for (const graph of GRAPH_NAMES) {
        const session = await createSession(bundle.graphPath(graph), sessionOptions, options);
        sessions.set(graph, session);
        checkSessionMetadata(graph, bundle.manifest, session);
      }
    } catch (error) {
      await Promise.allSettled([...sessions.values()].map((s) => s.release()));
      throw error;
    }
    return new GraphSessions(sessions, bundle);
  }

  async run(graph: GraphName, feeds: Feeds): Promise<Record<string, HostTensor>> {
    const session = this.sessions.get(graph);
    if (session === undefined) throw new InferenceError(`No session for graph ${graph}`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(tensor.dtype, tensor.data, tensor.dims);
    }
    const started = performance.now();
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(ortFeeds);
    } catch (error) {
      throw new InferenceError(
        `Graph ${graph} (${this.bundle.manifest.graphs[graph].file}) failed with feeds ${describeFeeds(feeds)}: ${errorMessage(error)}`,
        { cause: error, details: { graph, feeds: feedShapes(feeds) } },
      );
    } finally {
      const timing = this.timings[graph];
      timing.runs += 1;
      timing.ms += performance.now() - started;
    }
    const outputs: Record<string, HostTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      outputs[name] = toHostTensor(graph, name, value);
    }
    return outputs;
  }

  resetTimings(): void {
    for (const timing of Object.values(this.timings)) {
      timing.runs = 0;
      timing.ms = 0;
    }
  }

  async release(): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((s) => s.release()));
  }
}

function executionProvider(
  config: ExecutionProviderConfig,
): ort.InferenceSession.ExecutionProviderConfig {
  if (config.name === 'cuda') return { name: 'cuda', deviceId: config.deviceId ?? 0 };
  return { name: 'cpu' };
}

async function createSession(
  path: string,
  sessionOptions: ort.InferenceSession.SessionOptions,
  options: GraphSessionOptions,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, sessionOptions);
  } catch (error) {
    if (options.provider.name === 'cuda') {
      throw new ExecutionProviderError(
        `Could not create a CUDA session for ${path}: ${errorMessage(error)}. ${CUDA_INSTALL_HINT}`,
        { cause: error },
      );
    }
    throw new InferenceError(`Could not load ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

function toHostTensor(graph: GraphName, name: string, value: ort.OnnxValue): HostTensor {
  const tensor = value as ort.Tensor;
  const data = tensor.data as unknown;
  if (
    !(data instanceof Float32Array || data instanceof Uint16Array || data instanceof Int32Array)
  ) {
    throw new InferenceError(
      `Graph ${graph} output "${name}" has type ${tensor.type}; expected float32, float16 or int32`,
    );
  }
  const dtype =
    tensor.type === 'float16' ? 'float16' : tensor.type === 'int32' ? 'int32' : 'float32';
  return { dtype, dims: tensor.dims.map(Number), data: data as TensorData };
}

function feedShapes(feeds: Feeds): Record<string, string> {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [name, `${t.dtype}[${t.dims.join(',')}]`]),
  );
}

function describeFeeds(feeds: Feeds): string {
  return Object.entries(feedShapes(feeds))
    .map(([name, shape]) => `${name}: ${shape}`)
    .join(', ');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
