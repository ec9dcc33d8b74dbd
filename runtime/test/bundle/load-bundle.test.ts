import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONSTANT_CONTRACT,
  GRAPH_NAMES,
  VIBE_ARCHITECTURE,
} from '#runtime/bundle/graph-contract.ts';
import { loadBundle } from '#runtime/bundle/load-bundle.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { hidNull, metaQueries } from '#test/fixtures/tiny-bundle/tiny-weights.ts';
import { copyBundle, removeCopies } from './bundle-copy.ts';

afterAll(removeCopies);

function bytesOf(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

describe('loadBundle on tiny bundles', () => {
  it.each([
    { precision: 'float32', cfgDistilled: false },
    { precision: 'float16', cfgDistilled: false },
    { precision: 'float16', cfgDistilled: true },
  ] as const)(
    'loads and validates the $precision bundle (distilled: $cfgDistilled)',
    async (variant) => {
      const dir = await ensureTinyBundle(variant);

      const bundle = await loadBundle(dir);

      expect(bundle.dir).toBe(dir);
      expect(bundle.precision).toBe(variant.precision);
      expect(bundle.manifest.model).toMatchObject({ name: 'vibe-tiny-test', synthetic: true });
      expect(bundle.manifest.model.notice).toContain('NOT a real edit');
      expect(bundle.manifest.config.cfgDistilled).toBe(variant.cfgDistilled);
      expect(bundle.manifest.config.metaTokens).toBe(224);
      for (const graph of GRAPH_NAMES) {
        expect(bundle.graphPath(graph)).toBe(join(dir, `${graph}.onnx`));
        expect(existsSync(bundle.graphPath(graph))).toBe(true);
      }
      expect(bundle.tokenizerPaths).toEqual({
        tokenizerJson: join(dir, 'tokenizer', 'tokenizer.json'),
        tokenizerConfig: join(dir, 'tokenizer', 'tokenizer_config.json'),
        chatTemplate: join(dir, 'tokenizer', 'chat_template.json'),
      });
    },
  );

  it('reads the constants as little-endian float32 with the contract sizes', async () => {
    const bundle = await loadBundle(await ensureTinyBundle({ precision: 'float32' }));

    const queries = await bundle.readConstant('meta_queries');
    const hid = await bundle.readConstant('hid_null');

    expect(queries).toHaveLength(VIBE_ARCHITECTURE.metaTokens * VIBE_ARCHITECTURE.lmHiddenSize);
    expect(hid).toHaveLength(224 * 2304);
    expect(bytesOf(queries).equals(bytesOf(metaQueries()))).toBe(true);
    expect(bytesOf(hid).equals(bytesOf(hidNull()))).toBe(true);
    expect([queries[0], queries[1], hid[0]]).toEqual([
      metaQueries()[0],
      metaQueries()[1],
      hidNull()[0],
    ]);
    expect(CONSTANT_CONTRACT.hid_null.dims).toEqual([1, 224, 2304]);
  });

  it('skips hashing when verifyChecksums is false, and catches the same corruption when true', async () => {
    const dir = await copyBundle(await ensureTinyBundle({ precision: 'float32' }));
    const handle = await open(join(dir, 'dit.onnx'), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 100);
    await handle.write(Buffer.of(byte[0]! ^ 0xff), 0, 1, 100);
    await handle.close();

    await expect(loadBundle(dir, { verifyChecksums: false })).resolves.toMatchObject({ dir });
    await expect(loadBundle(dir)).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
  });

  it('reports a constant deleted after loading as BUNDLE_MISSING', async () => {
    const dir = await copyBundle(await ensureTinyBundle({ precision: 'float32' }));
    const bundle = await loadBundle(dir);
    await rm(join(dir, 'meta_queries.f32'));

    await expect(bundle.readConstant('meta_queries')).rejects.toMatchObject({
      code: 'BUNDLE_MISSING',
      details: { file: 'meta_queries.f32', field: 'constants.meta_queries.file' },
    });
  });
});
