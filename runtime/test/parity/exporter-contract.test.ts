import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GRAPH_CONTRACT } from '#runtime/bundle/graph-contract.ts';
// tools/ has no package alias; this test guards the generator that lives there.
import {
  EXPORTER_CONTRACT_PATH,
  formatContractJson,
  serializeExporterContract,
} from '../../../tools/write-exporter-contract.ts';

describe('write-exporter-contract', () => {
  it('matches the committed graph_contract.json byte for byte', () => {
    const committed = readFileSync(EXPORTER_CONTRACT_PATH, 'utf8');

    // When this fails, run `node --import tsx tools/write-exporter-contract.ts` and commit the result.
    expect(committed).toBe(serializeExporterContract());
  });

  it('carries every graph of the TypeScript contract with its I/O names and dims', () => {
    const parsed = JSON.parse(readFileSync(EXPORTER_CONTRACT_PATH, 'utf8')) as {
      graphs: Record<string, { file: string; inputs: { name: string; dims: unknown[] }[] }>;
      dtypeOf: Record<string, Record<string, string>>;
    };

    expect(Object.keys(parsed.graphs)).toEqual(Object.keys(GRAPH_CONTRACT));
    expect(parsed.graphs.qwen_vision?.inputs.map((input) => input.name)).toEqual([
      'pixel_values',
      'pos_idx',
      'pos_w',
      'rope_cos',
      'rope_sin',
    ]);
    expect(parsed.graphs.dit?.inputs[0]?.dims).toEqual([
      'batch',
      64,
      'latent_height',
      'latent_width',
    ]);
    expect(parsed.dtypeOf.model).toEqual({ float32: 'float32', float16: 'float16' });
    expect(parsed.dtypeOf.float32).toEqual({ float32: 'float32', float16: 'float32' });
  });

  it('keeps scalar arrays on one line and expands objects, as Biome formats JSON', () => {
    expect(formatContractJson({ a: [1, 'x'], b: [{ c: 2 }] })).toBe(
      '{\n  "a": [1, "x"],\n  "b": [\n    {\n      "c": 2\n    }\n  ]\n}',
    );
  });
});
