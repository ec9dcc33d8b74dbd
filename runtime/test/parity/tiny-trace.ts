import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { PARITY_STAGE_DTYPES, PARITY_STAGES } from '#runtime/parity/parity-stages.ts';

/** The 2×3 RGB output image of the tiny trace, row-major HWC. */
export const TINY_OUTPUT_PIXELS = new Uint8Array([
  255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90,
]);
export const TINY_INPUT_IDS = new Int32Array([151644, 872, 198, 151652, -7]);

/** Float stages get dims [2, 3] and values i·0.5 − 1. */
export function tinyFloatValues(): Float32Array {
  return Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
}

export interface TinyTraceDocument {
  traceVersion: number;
  reference: Record<string, unknown>;
  request: Record<string, unknown>;
  tensors: Record<string, { file: string; dtype: string; dims: number[] }>;
}

/**
 * Writes a complete, valid parity trace (every required stage plus hid_null) under `bundleDir` and
 * returns its document. `edit` changes the document before it is written; files are written for
 * the original entries.
 */
export async function writeTinyTrace(
  bundleDir: string,
  edit: (document: TinyTraceDocument) => void = () => {},
): Promise<TinyTraceDocument> {
  const png = await sharp(Buffer.from(TINY_OUTPUT_PIXELS), {
    raw: { width: 3, height: 2, channels: 3 },
  })
    .png()
    .toBuffer();
  const tensors: TinyTraceDocument['tensors'] = {};
  const files = new Map<string, Uint8Array>();
  for (const stage of [...PARITY_STAGES, 'hid_null' as const]) {
    const dtype = PARITY_STAGE_DTYPES[stage];
    if (dtype === 'uint8') {
      tensors[stage] = { file: 'parity/output.png', dtype, dims: [2, 3, 3] };
      files.set('parity/output.png', png);
    } else if (dtype === 'int32') {
      tensors[stage] = { file: `parity/${stage}.i32`, dtype, dims: [5] };
      files.set(`parity/${stage}.i32`, new Uint8Array(TINY_INPUT_IDS.buffer.slice(0)));
    } else {
      tensors[stage] = { file: `parity/${stage}.f32`, dtype, dims: [2, 3] };
      files.set(`parity/${stage}.f32`, new Uint8Array(tinyFloatValues().buffer));
    }
  }
  files.set('parity/input.png', png);
  const document: TinyTraceDocument = {
    traceVersion: 1,
    reference: {
      diffusers: '0.33.1',
      transformers: '4.57.1',
      torch: '2.6.0',
      device: 'cuda',
      dtype: 'bfloat16',
    },
    request: {
      image: 'parity/input.png',
      instruction: 'make it winter',
      steps: 20,
      guidanceScale: 4.5,
      imageGuidanceScale: 1.2,
      seed: 42,
      sizeMode: 'parity',
    },
    tensors,
  };
  edit(document);
  for (const [file, bytes] of files) {
    await mkdir(dirname(join(bundleDir, file)), { recursive: true });
    await writeFile(join(bundleDir, file), bytes);
  }
  await writeFile(join(bundleDir, 'parity/trace.json'), JSON.stringify(document, null, 2));
  return document;
}
