import type { GraphName, OnnxDtype } from '#runtime/bundle/graph-contract.ts';

/** Raw tensor data as it crosses the ONNX boundary; float16 travels as its bit pattern. */
export type TensorData = Float32Array | Uint16Array | Int32Array;

/** A tensor on the host: what the pipeline hands to a graph and gets back. */
export interface HostTensor {
  readonly dtype: OnnxDtype;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export type Feeds = Readonly<Record<string, HostTensor>>;

/**
 * Runs one of the bundle's graphs. The pipeline depends on this interface only, so host logic can
 * be tested without onnxruntime and the ORT module stays the single place that imports it.
 */
export interface GraphRunner {
  run(graph: GraphName, feeds: Feeds): Promise<Record<string, HostTensor>>;
}

export function float32Tensor(data: Float32Array, dims: readonly number[]): HostTensor {
  return { dtype: 'float32', dims, data };
}

export function int32Tensor(data: Int32Array, dims: readonly number[]): HostTensor {
  return { dtype: 'int32', dims, data };
}

/** Picks an output by name and fails with the graph's name when it is absent. */
export function requireOutput(
  outputs: Record<string, HostTensor>,
  graph: GraphName,
  name: string,
): HostTensor {
  const tensor = outputs[name];
  if (tensor === undefined) {
    throw new Error(
      `Graph ${graph} returned no output "${name}"; got ${Object.keys(outputs).join(', ')}`,
    );
  }
  return tensor;
}
