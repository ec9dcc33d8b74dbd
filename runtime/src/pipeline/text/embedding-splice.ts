/**
 * Host-side assembly of the LM graph's inputs (reference §2.4, §3.2, §6.2 G3): image rows into the
 * token embeddings, the meta-query rows after the prompt, and DeepStack padded to the sequence.
 */
import { InferenceError } from '#core/errors.ts';
import type { ScratchBuffers } from '../scratch-buffers.ts';
import { IMAGE_PAD_ID } from './qwen-tokenizer.ts';

/** float32 data, or float16 bit patterns in a `Uint16Array` (onnxruntime-node's float16 tensors). */
export type EmbeddingArray = Float32Array | Uint16Array;

export interface SpliceEmbeddingsInput<T extends EmbeddingArray> {
  /** Prompt ids (length L), used to check where the image rows are. */
  readonly inputIds: Int32Array;
  /** L × hidden from G2, image-pad rows included (they are overwritten). */
  readonly textEmbeds: T;
  /** N × hidden from G1 (empty without an image). */
  readonly imageEmbeds: T;
  /** 3 × N × hidden from G1 (empty without an image). */
  readonly deepstack: T;
  /** M × hidden meta queries (M = 224), already in the bundle's precision. */
  readonly metaQueries: T;
  readonly seqLen: number;
  /** Index of the first `<|image_pad|>`; -1 without an image. */
  readonly imageStart: number;
  /** N: image tokens (0 without an image). */
  readonly numImageTokens: number;
  /** Hidden size (2048). */
  readonly hidden: number;
}

export interface SplicedEmbeddings<T extends EmbeddingArray> {
  /** 1 × (L + M) × hidden. */
  readonly inputsEmbeds: T;
  /** 3 × 1 × (L + M) × hidden: zeros except the image rows. */
  readonly deepstackPadded: T;
}

const DEEPSTACK_LAYERS = 3;

/**
 * Splices the image and meta rows into the token embeddings. Because the image rows are contiguous,
 * `masked_scatter` (which fills the pad rows in order) reduces to block copies, and DeepStack's
 * `h[visual positions] += deepstack[i]` becomes an Add of zero-padded tensors inside the graph.
 * Works on float32 and float16-bit arrays alike; the result has the input's element type.
 *
 * @throws InferenceError when a size does not match, or the `<|image_pad|>` ids in `inputIds` are
 *   not exactly `numImageTokens` contiguous ids starting at `imageStart`.
 */
export function spliceEmbeddings<T extends EmbeddingArray>(
  input: SpliceEmbeddingsInput<T>,
  scratch?: ScratchBuffers,
): SplicedEmbeddings<T> {
  const { textEmbeds, imageEmbeds, deepstack, metaQueries, seqLen, hidden } = input;
  const { imageStart, numImageTokens: n } = input;
  checkSizes(input);
  checkImagePads(input.inputIds, imageStart, n);

  const total = seqLen + metaQueries.length / hidden;
  // inputsEmbeds is fully overwritten below; deepstackPadded must be zero outside the image rows.
  const inputsEmbeds = allocateLike(textEmbeds, total * hidden, 'lm_inputs_embeds', false, scratch);
  const deepstackPadded = allocateLike(
    textEmbeds,
    DEEPSTACK_LAYERS * total * hidden,
    'lm_deepstack_padded',
    true,
    scratch,
  );
  if (n === 0) {
    inputsEmbeds.set(textEmbeds, 0);
  } else {
    const imageBegin = imageStart * hidden;
    const imageEnd = (imageStart + n) * hidden;
    inputsEmbeds.set(textEmbeds.subarray(0, imageBegin), 0);
    inputsEmbeds.set(imageEmbeds, imageBegin);
    inputsEmbeds.set(textEmbeds.subarray(imageEnd), imageEnd);
    const layerSize = n * hidden;
    for (let layer = 0; layer < DEEPSTACK_LAYERS; layer++) {
      deepstackPadded.set(
        deepstack.subarray(layer * layerSize, (layer + 1) * layerSize),
        layer * total * hidden + imageBegin,
      );
    }
  }
  inputsEmbeds.set(metaQueries, seqLen * hidden);
  return { inputsEmbeds, deepstackPadded };
}

function allocateLike<T extends EmbeddingArray>(
  like: T,
  length: number,
  name: string,
  zeroed: boolean,
  scratch: ScratchBuffers | undefined,
): T {
  // Both branches produce exactly the input's concrete array type.
  if (scratch !== undefined) {
    return (
      like instanceof Float32Array
        ? scratch.float32(name, length, zeroed)
        : scratch.uint16(name, length, zeroed)
    ) as T;
  }
  return (like instanceof Float32Array ? new Float32Array(length) : new Uint16Array(length)) as T;
}

function checkSizes<T extends EmbeddingArray>(input: SpliceEmbeddingsInput<T>): void {
  const { textEmbeds, imageEmbeds, deepstack, metaQueries, inputIds } = input;
  const { seqLen, hidden, imageStart, numImageTokens: n } = input;
  const fail = (what: string, expected: string, received: number): never => {
    throw new InferenceError(`Expected ${what} to be ${expected} but received ${received}`, {
      details: { seqLen, hidden, imageStart, numImageTokens: n },
    });
  };
  if (!Number.isInteger(hidden) || hidden < 1) fail('hidden', 'a positive integer', hidden);
  if (!Number.isInteger(seqLen) || seqLen < 1) fail('seqLen', 'a positive integer', seqLen);
  if (!Number.isInteger(n) || n < 0) fail('numImageTokens', 'a non-negative integer', n);
  if (inputIds.length !== seqLen) fail('inputIds.length', `seqLen = ${seqLen}`, inputIds.length);
  const rows = `${hidden} per row`;
  if (textEmbeds.length !== seqLen * hidden)
    fail('textEmbeds.length', `${seqLen} × ${hidden} (L × hidden)`, textEmbeds.length);
  if (imageEmbeds.length !== n * hidden)
    fail('imageEmbeds.length', `${n} × ${hidden} (N × hidden)`, imageEmbeds.length);
  if (deepstack.length !== DEEPSTACK_LAYERS * n * hidden)
    fail('deepstack.length', `3 × ${n} × ${hidden}`, deepstack.length);
  if (metaQueries.length === 0 || metaQueries.length % hidden !== 0)
    fail('metaQueries.length', `a positive multiple of ${rows}`, metaQueries.length);
  for (const [name, array] of [
    ['imageEmbeds', imageEmbeds],
    ['deepstack', deepstack],
    ['metaQueries', metaQueries],
  ] as const) {
    if (array.constructor !== textEmbeds.constructor) {
      throw new InferenceError(
        `Expected ${name} to be a ${textEmbeds.constructor.name} like textEmbeds but received a ${array.constructor.name}`,
        { details: { name } },
      );
    }
  }
}

function checkImagePads(inputIds: Int32Array, imageStart: number, n: number): void {
  let pads = 0;
  let contiguous = true;
  for (let i = 0; i < inputIds.length; i++) {
    if (inputIds[i] !== IMAGE_PAD_ID) continue;
    pads++;
    if (i < imageStart || i >= imageStart + n) contiguous = false;
  }
  if (pads !== n || (n > 0 && !contiguous)) {
    throw new InferenceError(
      `Expected ${n} <|image_pad|> ids at positions ${imageStart}..${imageStart + n - 1} to match the image tokens but the prompt holds ${pads}${contiguous ? '' : ', not all in that range'}`,
      { details: { numImageTokens: n, imagePads: pads, imageStart } },
    );
  }
}
