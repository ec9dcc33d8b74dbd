import { afterAll, describe, expect, it } from 'vitest';
import { loadBundle } from '#runtime/bundle/load-bundle.ts';
import { editManifestJson, removeCopies } from './bundle-copy.ts';
import { expectRefusal, fp16Copy, fp32Copy, mutated } from './expect-refusal.ts';

afterAll(removeCopies);

describe('loadBundle refuses a manifest that breaks the graph contract or the architecture', () => {
  it('a wrong input name', async () => {
    const dir = await mutated((m) => {
      m.graphs.qwen_vision.inputs[0]!.name = 'pixels';
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.qwen_vision.inputs[0].name',
      expected: '"pixel_values"',
      found: '"pixels"',
    });
  });

  it('a missing input', async () => {
    const dir = await mutated((m) => {
      m.graphs.qwen_vision.inputs = m.graphs.qwen_vision.inputs.filter((t) => t.name !== 'pos_w');
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.qwen_vision.inputs',
      found: 'pos_w',
    });
  });

  it('a wrong dtype (float16 timestep in a float16 bundle)', async () => {
    const dir = await mutated((m) => {
      m.graphs.dit.inputs[2]!.dtype = 'float16';
    }, fp16Copy);
    const error = await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.dit.inputs[2].dtype',
      expected: '"float32"',
      found: '"float16"',
    });
    expect(error.message).toContain('graphs.dit.inputs[2].dtype): expected "float32"');
  });

  it('a precision that does not match the tensor dtypes', async () => {
    const dir = await mutated((m) => {
      m.precision = 'float16';
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.qwen_vision.inputs[0].dtype',
      expected: '"float16"',
      found: '"float32"',
    });
  });

  it('a wrong rank', async () => {
    const dir = await mutated((m) => {
      m.graphs.dit.outputs[0]!.dims = ['batch', 32, 'latent_height'];
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.dit.outputs[0].dims',
      expected: 'rank 4',
      found: 'rank 3',
    });
  });

  it.each([
    {
      what: 'fixed dim',
      graph: 'connector',
      side: 'outputs',
      dim: 2,
      value: 2048,
      expected: '2304',
    },
    {
      what: 'symbolic dim name',
      graph: 'vae_encoder',
      side: 'inputs',
      dim: 2,
      value: 'h',
      expected: '"height"',
    },
  ] as const)('a wrong $what', async ({ graph, side, dim, value, expected }) => {
    const dir = await mutated((m) => {
      m.graphs[graph][side][0]!.dims[dim] = value;
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: `graphs.${graph}.${side}[0].dims[${dim}]`,
      expected,
      found: JSON.stringify(value),
    });
  });

  it('a graph file name other than the contract', async () => {
    const dir = await mutated((m) => {
      m.graphs.dit.file = 'transformer.onnx';
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.dit.file',
      expected: '"dit.onnx"',
    });
  });

  it('wrong metaTokens', async () => {
    const dir = await mutated((m) => {
      m.config.metaTokens = 256;
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'config.metaTokens',
      expected: '224',
      found: '256',
    });
  });

  it('wrong constant dims', async () => {
    const dir = await mutated((m) => {
      m.constants.hid_null.dims = [224, 2304];
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'constants.hid_null.dims',
      expected: '[1,224,2304]',
    });
  });

  it.each([
    { key: 'type', value: 'euler', expected: '"dpmsolver++"' },
    { key: 'solverOrder', value: 3, expected: '2' },
    { key: 'useFlowSigmas', value: false, expected: 'true' },
  ])('an unsupported scheduler $key', async ({ key, value, expected }) => {
    const dir = await fp32Copy();
    await editManifestJson(dir, (json) => {
      const config = json.config as { scheduler: Record<string, unknown> };
      config.scheduler[key] = value;
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: `config.scheduler.${key}`,
      expected,
      found: JSON.stringify(value),
    });
  });

  it('an unknown (misspelt) key', async () => {
    const dir = await fp32Copy();
    await editManifestJson(dir, (json) => {
      const graphs = json.graphs as Record<string, Record<string, unknown>>;
      graphs.dit!.externaldata = ['dit.onnx_data'];
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'graphs.dit.externaldata',
      found: 'externaldata',
    });
  });
});
