import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { GRAPH_NAMES, type GraphName } from '#runtime/bundle/graph-contract.ts';
import { loadBundle } from '#runtime/bundle/load-bundle.ts';
import type { BundleManifest } from '#runtime/bundle/manifest-schema.ts';
import { checkSessionMetadata, type SessionMetadata } from '#runtime/bundle/session-contract.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { copyBundle, refreshFileEntry, removeCopies } from './bundle-copy.ts';

afterAll(removeCopies);

async function session(path: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { logSeverityLevel: 3 });
}

async function fp32Manifest(): Promise<BundleManifest> {
  return (await loadBundle(await ensureTinyBundle({ precision: 'float32' }))).manifest;
}

/** Session metadata as onnxruntime-common 1.30 reports it, for one tensor per side. */
function metadata(
  inputs: { name: string; type: string; shape: (number | string)[] }[],
  outputs: { name: string; type: string; shape: (number | string)[] }[],
): SessionMetadata {
  return {
    inputNames: inputs.map((t) => t.name),
    outputNames: outputs.map((t) => t.name),
    inputMetadata: inputs.map((t) => ({ ...t, isTensor: true })),
    outputMetadata: outputs.map((t) => ({ ...t, isTensor: true })),
  };
}

describe('checkSessionMetadata', () => {
  it.each(['float32', 'float16'] as const)(
    'accepts every real %s tiny-graph session',
    async (precision) => {
      const bundle = await loadBundle(await ensureTinyBundle({ precision }));
      for (const graph of GRAPH_NAMES) {
        const s = await session(bundle.graphPath(graph));
        expect(() => checkSessionMetadata(graph, bundle.manifest, s)).not.toThrow();
        await s.release();
      }
    },
  );

  it('refuses swapped graph files whose checksums were fixed, naming the .onnx file', async () => {
    const dir = await copyBundle(await ensureTinyBundle({ precision: 'float32' }));
    await rename(join(dir, 'vae_encoder.onnx'), join(dir, 'swap.onnx'));
    await rename(join(dir, 'vae_decoder.onnx'), join(dir, 'vae_encoder.onnx'));
    await rename(join(dir, 'swap.onnx'), join(dir, 'vae_decoder.onnx'));
    await refreshFileEntry(dir, 'vae_encoder.onnx');
    await refreshFileEntry(dir, 'vae_decoder.onnx');
    const bundle = await loadBundle(dir);
    const s = await session(bundle.graphPath('vae_encoder'));

    expect(() => checkSessionMetadata('vae_encoder', bundle.manifest, s)).toThrow(
      /vae_encoder\.onnx \(field graphs\.vae_encoder\.inputs\): expected inputs named \["image"\] but found \["latent"\]/,
    );
    expect(() => checkSessionMetadata('vae_encoder', bundle.manifest, s)).toThrow(
      expect.objectContaining({
        code: 'BUNDLE_INVALID',
        details: expect.objectContaining({ file: 'vae_encoder.onnx' }),
      }),
    );
    await s.release();
  });

  it('refuses a float16 graph against a float32 manifest (element type)', async () => {
    const manifest = await fp32Manifest();
    const fp16 = await loadBundle(await ensureTinyBundle({ precision: 'float16' }));
    const s = await session(fp16.graphPath('dit'));

    expect(() => checkSessionMetadata('dit', manifest, s)).toThrow(
      expect.objectContaining({
        code: 'BUNDLE_INVALID',
        details: expect.objectContaining({
          file: 'dit.onnx',
          field: 'graphs.dit.inputs[0].dtype',
          expected: '"float32"',
        }),
      }),
    );
    await s.release();
  });

  const cases: {
    what: string;
    graph: GraphName;
    meta: SessionMetadata;
    field: string;
    found: string;
  }[] = [
    {
      what: 'a fixed dim that differs',
      graph: 'connector',
      meta: metadata(
        [{ name: 'meta_hidden', type: 'float32', shape: ['batch', 224, 2048] }],
        [{ name: 'cond', type: 'float32', shape: ['batch', 224, 2048] }],
      ),
      field: 'graphs.connector.outputs[0].dims[2]',
      found: '2048 in the graph',
    },
    {
      what: 'a fixed size where the manifest needs a dynamic dim',
      graph: 'vae_decoder',
      meta: metadata(
        [{ name: 'latent', type: 'float32', shape: [1, 32, 64, 64] }],
        [{ name: 'image', type: 'float32', shape: [1, 3, 'height', 'width'] }],
      ),
      field: 'graphs.vae_decoder.inputs[0].dims[2]',
      found: 'the fixed size 64',
    },
    {
      what: 'a different rank',
      graph: 'qwen_embed',
      meta: metadata(
        [{ name: 'input_ids', type: 'int32', shape: [1, 'seq_len'] }],
        [{ name: 'inputs_embeds', type: 'float32', shape: ['seq_len', 2048] }],
      ),
      field: 'graphs.qwen_embed.inputs[0].dims',
      found: 'rank 2',
    },
    {
      what: 'an int64 input where the contract has int32',
      graph: 'qwen_embed',
      meta: metadata(
        [{ name: 'input_ids', type: 'int64', shape: ['seq_len'] }],
        [{ name: 'inputs_embeds', type: 'float32', shape: ['seq_len', 2048] }],
      ),
      field: 'graphs.qwen_embed.inputs[0].dtype',
      found: '"int64"',
    },
  ];

  it.each(cases)('refuses $what', async ({ graph, meta, field, found }) => {
    const manifest = await fp32Manifest();
    expect(() => checkSessionMetadata(graph, manifest, meta)).toThrow(
      expect.objectContaining({
        code: 'BUNDLE_INVALID',
        details: expect.objectContaining({
          file: `${graph}.onnx`,
          field,
          found: expect.stringContaining(found),
        }),
      }),
    );
  });

  it('accepts another input order, other symbolic dim names, and sessions without metadata', async () => {
    const manifest = await fp32Manifest();
    const meta = metadata(
      [
        { name: 'timestep', type: 'float32', shape: ['b'] },
        { name: 'encoder_hidden_states', type: 'float32', shape: ['b', 224, 2304] },
        { name: 'hidden_states', type: 'float32', shape: ['b', 64, 'h', 'w'] },
      ],
      [{ name: 'noise_pred', type: 'float32', shape: ['b', 32, 'h', 'w'] }],
    );
    expect(() => checkSessionMetadata('dit', manifest, meta)).not.toThrow();
    expect(() =>
      checkSessionMetadata('dit', manifest, {
        inputNames: meta.inputNames,
        outputNames: ['noise_pred'],
      }),
    ).not.toThrow();
  });
});
