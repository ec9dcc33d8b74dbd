/**
 * Writes the graph contract as JSON for the Python exporter (runtime/exporter/vibe_export/
 * graph_contract.json). The TypeScript contract stays the one source of truth; the exporter reads
 * this generated copy because it cannot import TypeScript.
 *
 * Run it after changing runtime/src/bundle/graph-contract.ts:
 * `node --import tsx tools/write-exporter-contract.ts`. A Vitest test fails while the committed JSON
 * differs from what this script would write.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BundlePrecision,
  CONSTANT_CONTRACT,
  dtypeOf,
  GRAPH_CONTRACT,
  MANIFEST_VERSION,
  type TensorKind,
  VIBE_ARCHITECTURE,
} from '#runtime/bundle/graph-contract.ts';

const TENSOR_KINDS: readonly TensorKind[] = ['model', 'float32', 'int32'];
const PRECISIONS: readonly BundlePrecision[] = ['float32', 'float16'];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the exporter package expects the contract. */
export const EXPORTER_CONTRACT_PATH = join(
  repoRoot,
  'runtime/exporter/vibe_export/graph_contract.json',
);

/** The JSON document the exporter loads (see runtime/exporter/vibe_export/contract.py). */
export function buildExporterContract(): Record<string, unknown> {
  return {
    generatedBy: 'tools/write-exporter-contract.ts from runtime/src/bundle/graph-contract.ts',
    manifestVersion: MANIFEST_VERSION,
    architecture: VIBE_ARCHITECTURE,
    dtypeOf: Object.fromEntries(
      TENSOR_KINDS.map((kind) => [
        kind,
        Object.fromEntries(PRECISIONS.map((precision) => [precision, dtypeOf(kind, precision)])),
      ]),
    ),
    graphs: GRAPH_CONTRACT,
    constants: CONSTANT_CONTRACT,
  };
}

/**
 * Serializes like `JSON.stringify(value, null, 2)`, except that arrays of numbers and strings stay
 * on one line: that is how Biome formats JSON, so the written file passes `biome ci` unchanged.
 */
export function formatContractJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object' || item === null)) {
      return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    }
    const inner = `${indent}  `;
    const items = value.map((item) => `${inner}${formatContractJson(item, inner)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const inner = `${indent}  `;
    const entries = Object.entries(value).map(
      ([key, item]) => `${inner}${JSON.stringify(key)}: ${formatContractJson(item, inner)}`,
    );
    return entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The exact text of graph_contract.json. */
export function serializeExporterContract(): string {
  return `${formatContractJson(buildExporterContract())}\n`;
}

export function writeExporterContract(path: string = EXPORTER_CONTRACT_PATH): void {
  writeFileSync(path, serializeExporterContract());
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(resolve(invokedPath)).href) {
  writeExporterContract();
  process.stdout.write(`Wrote ${EXPORTER_CONTRACT_PATH}\n`);
}
