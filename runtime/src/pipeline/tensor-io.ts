import { InferenceError } from '#core/errors.ts';
import type { BundlePrecision } from '#runtime/bundle/graph-contract.ts';
import type { HostTensor } from './graph-runner.ts';
import { float16ToFloat32, float32ToFloat16 } from './tensor/float16.ts';

/** Wraps float32 host data as a `model`-kind tensor of the bundle's precision. */
export function modelTensor(
  data: Float32Array,
  dims: readonly number[],
  precision: BundlePrecision,
): HostTensor {
  return precision === 'float16'
    ? { dtype: 'float16', dims, data: float32ToFloat16(data) }
    : { dtype: 'float32', dims, data };
}

/** Reads a float graph output as float32, converting float16 bit patterns. */
export function toFloat32(tensor: HostTensor): Float32Array {
  if (tensor.dtype === 'float32' && tensor.data instanceof Float32Array) return tensor.data;
  if (tensor.dtype === 'float16' && tensor.data instanceof Uint16Array) {
    return float16ToFloat32(tensor.data);
  }
  throw new InferenceError(`Expected a float tensor but received ${tensor.dtype}`);
}

/** Keeps a `model`-kind tensor in the bundle precision (no conversion round trip). */
export function sameTypeData(
  tensor: HostTensor,
  precision: BundlePrecision,
): Float32Array | Uint16Array {
  if (precision === 'float32' && tensor.data instanceof Float32Array) return tensor.data;
  if (precision === 'float16' && tensor.data instanceof Uint16Array) return tensor.data;
  throw new InferenceError(
    `Expected a ${precision} tensor from the graph but received ${tensor.dtype}`,
  );
}

/** Converts float32 constants (meta queries) to the bundle precision once per process. */
export function constantInPrecision(
  data: Float32Array,
  precision: BundlePrecision,
): Float32Array | Uint16Array {
  return precision === 'float16' ? float32ToFloat16(data) : data;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
