import { bundleError, show } from './bundle-failure.ts';
import type { GraphName } from './graph-contract.ts';
import type { BundleManifest, ManifestTensor } from './manifest-schema.ts';

/**
 * The part of an onnxruntime `InferenceSession` this check reads. Structural, so this folder does
 * not import onnxruntime-node; metadata entries follow onnxruntime-common 1.30's `ValueMetadata`
 * (`{ name, isTensor, type, shape }`, symbolic dims as strings).
 */
export interface SessionMetadata {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly unknown[];
  readonly outputMetadata?: readonly unknown[];
}

interface TensorMetadata {
  readonly name: string;
  readonly isTensor: true;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/**
 * Checks a created session against the graph's manifest entry: the same input and output names
 * (any order), and for each tensor the element type, the rank and every fixed dim. A dim the
 * manifest names symbolically must be dynamic in the graph, or the graph only runs at one size.
 * @throws BundleError BUNDLE_INVALID naming the .onnx file.
 */
export function checkSessionMetadata(
  graph: GraphName,
  manifest: BundleManifest,
  session: SessionMetadata,
): void {
  const entry = manifest.graphs[graph];
  // The session knows no folder; name the bundle by its model name and version instead.
  const bundle = `"${manifest.model.name}" ${manifest.model.version}`;
  const fail = (field: string, expected: string, found: string): never => {
    throw bundleError('BUNDLE_INVALID', { bundle, file: entry.file, field, expected, found });
  };
  const sides = [
    ['inputs', entry.inputs, session.inputNames, session.inputMetadata],
    ['outputs', entry.outputs, session.outputNames, session.outputMetadata],
  ] as const;
  for (const [side, tensors, names, metadata] of sides) {
    const field = `graphs.${graph}.${side}`;
    const expectedNames = tensors.map((t) => t.name);
    if (!sameNameSet(expectedNames, names)) {
      fail(
        field,
        `${side} named ${show([...expectedNames].sort())}`,
        `${show([...names].sort())} in the graph`,
      );
    }
    if (metadata === undefined) continue;
    for (const [i, tensor] of tensors.entries()) {
      const meta = metadata.filter(isTensorMetadata).find((m) => m.name === tensor.name);
      if (meta === undefined) {
        fail(`${field}[${i}]`, `tensor metadata for ${show(tensor.name)}`, 'none (not a tensor)');
      } else {
        checkTensor(`${field}[${i}]`, tensor, meta, fail);
      }
    }
  }
}

function checkTensor(
  field: string,
  tensor: ManifestTensor,
  meta: TensorMetadata,
  fail: (field: string, expected: string, found: string) => never,
): void {
  if (meta.type !== tensor.dtype)
    fail(`${field}.dtype`, show(tensor.dtype), `${show(meta.type)} in the graph`);
  if (meta.shape.length !== tensor.dims.length) {
    fail(
      `${field}.dims`,
      `rank ${tensor.dims.length} ${show(tensor.dims)}`,
      `rank ${meta.shape.length} ${show(meta.shape)} in the graph`,
    );
  }
  for (const [j, dim] of tensor.dims.entries()) {
    const actual = meta.shape[j];
    if (typeof dim === 'number' && typeof actual === 'number' && actual >= 0 && actual !== dim) {
      fail(`${field}.dims[${j}]`, show(dim), `${show(actual)} in the graph`);
    }
    if (typeof dim === 'string' && typeof actual === 'number' && actual >= 0) {
      fail(
        `${field}.dims[${j}]`,
        `a dynamic dim (${show(dim)})`,
        `the fixed size ${actual} in the graph`,
      );
    }
  }
}

function sameNameSet(expected: readonly string[], actual: readonly string[]): boolean {
  const set = new Set(actual);
  return (
    set.size === actual.length &&
    actual.length === expected.length &&
    expected.every((n) => set.has(n))
  );
}

function isTensorMetadata(value: unknown): value is TensorMetadata {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.name === 'string' &&
    v.isTensor === true &&
    typeof v.type === 'string' &&
    Array.isArray(v.shape) &&
    v.shape.every((d) => typeof d === 'number' || typeof d === 'string')
  );
}
