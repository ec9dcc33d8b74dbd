import { ValidationError } from '#core/errors.ts';
import { VIBE_ARCHITECTURE } from '#runtime/bundle/graph-contract.ts';
import { float32Tensor, int32Tensor, requireOutput } from './graph-runner.ts';
import type { Resampler } from './image/resample.ts';
import { prepareVisionInputs } from './image/vlm-pixels.ts';
import type { PipelineHooks, PipelineResources } from './pipeline-types.ts';
import type { ScratchBuffers } from './scratch-buffers.ts';
import type { StageClock } from './stage-clock.ts';
import { modelTensor, sameTypeData, toFloat32 } from './tensor-io.ts';
import { spliceEmbeddings } from './text/embedding-splice.ts';
import { mropeCosSin, mropePositions } from './text/mrope.ts';
import { buildPromptTokens } from './text/prompt-tokens.ts';

const { lmHiddenSize: HIDDEN, metaTokens: META, deepstackLayers: DEEPSTACK } = VIBE_ARCHITECTURE;

/**
 * Prompt + image tokens + 224 meta tokens. 2048 admits any 2,000-character instruction in common
 * scripts with the largest image (441 tokens) and bounds the LM's quadratic attention cost.
 */
export const MAX_LM_SEQUENCE = 2048;

export interface VlmInput {
  /** The original image (HWC RGB) the VLM reads; null for text-to-image. */
  readonly image: {
    readonly rgb: Uint8Array;
    readonly width: number;
    readonly height: number;
  } | null;
  readonly instruction: string;
  readonly resampler: Resampler;
  readonly scratch?: ScratchBuffers;
}

/**
 * Qwen3-VL reads the image and the instruction; the connector turns the 224 meta-token states into
 * the caption `cond` [224 × 2304] (float32) that conditions the DiT (reference §2.2–§2.5, §3.2).
 */
export async function encodeInstruction(
  resources: PipelineResources,
  input: VlmInput,
  clock: StageClock,
  hooks: PipelineHooks,
): Promise<Float32Array> {
  const { manifest, precision, tokenizer } = resources;
  const graphs = clock.timedRunner(resources.graphs);
  const config = manifest.config;

  const image = input.image;
  const vision = image
    ? await clock.stage('vlm_preprocess', () =>
        prepareVisionInputs(
          image.rgb,
          image.width,
          image.height,
          config.vision,
          input.resampler,
          input.scratch,
        ),
      )
    : null;
  if (vision) hooks.onTensor?.('vlm_pixel_values', vision.pixelValues, [vision.numPatches, 1536]);

  const prompt = await clock.stage('tokenize', () =>
    buildPromptTokens(tokenizer, {
      instruction: input.instruction,
      numImageTokens: vision ? vision.numImageTokens : null,
      templates: {
        edit: config.text.editPromptTemplate,
        textToImage: config.text.textToImagePromptTemplate,
      },
    }),
  );
  const seqLen = prompt.inputIds.length;
  if (seqLen + META > MAX_LM_SEQUENCE) {
    throw new ValidationError(
      'INVALID_INSTRUCTION',
      `Expected the prompt to fit the language model's ${MAX_LM_SEQUENCE}-token window but the instruction, image and meta tokens need ${seqLen + META}; shorten the instruction`,
      { details: { tokens: seqLen + META, limit: MAX_LM_SEQUENCE } },
    );
  }
  hooks.onTensor?.('input_ids', prompt.inputIds, [seqLen]);

  const embedded = await graphs.run('qwen_embed', {
    input_ids: int32Tensor(prompt.inputIds, [seqLen]),
  });
  const textEmbeds = sameTypeData(
    requireOutput(embedded, 'qwen_embed', 'inputs_embeds'),
    precision,
  );

  let imageEmbeds = textEmbeds.subarray(0, 0);
  let deepstack = textEmbeds.subarray(0, 0);
  if (vision) {
    const n = vision.numPatches;
    const visionOut = await graphs.run('qwen_vision', {
      pixel_values: modelTensor(vision.pixelValues, [n, 1536], precision),
      pos_idx: int32Tensor(vision.posIdx, [4, n]),
      pos_w: float32Tensor(vision.posW, [4, n]),
      rope_cos: float32Tensor(vision.ropeCos, [n, 64]),
      rope_sin: float32Tensor(vision.ropeSin, [n, 64]),
    });
    const embedsTensor = requireOutput(visionOut, 'qwen_vision', 'image_embeds');
    const deepstackTensor = requireOutput(visionOut, 'qwen_vision', 'deepstack');
    imageEmbeds = sameTypeData(embedsTensor, precision);
    deepstack = sameTypeData(deepstackTensor, precision);
    if (hooks.onTensor) {
      hooks.onTensor('image_embeds', toFloat32(embedsTensor), embedsTensor.dims);
      hooks.onTensor('deepstack', toFloat32(deepstackTensor), deepstackTensor.dims);
    }
  }

  const lmInputs = await clock.stage('splice', () => {
    const spliced = spliceEmbeddings(
      {
        inputIds: prompt.inputIds,
        textEmbeds,
        imageEmbeds,
        deepstack,
        metaQueries: resources.metaQueries,
        seqLen,
        imageStart: prompt.imageStart,
        numImageTokens: prompt.numImageTokens,
        hidden: HIDDEN,
      },
      input.scratch,
    );
    const positions = mropePositions({
      seqLen,
      imageStart: prompt.imageStart,
      gridH: vision ? vision.gridH / 2 : 0,
      gridW: vision ? vision.gridW / 2 : 0,
      metaTokens: META,
    });
    const rope = mropeCosSin(positions, {
      theta: config.text.ropeTheta,
      headDim: config.text.headDim,
      mropeSection: config.text.mropeSection,
    });
    return { spliced, rope };
  });

  const total = seqLen + META;
  const dtype = precision;
  const lmOut = await graphs.run('qwen_lm_hidden', {
    inputs_embeds: { dtype, dims: [1, total, HIDDEN], data: lmInputs.spliced.inputsEmbeds },
    rope_cos: float32Tensor(lmInputs.rope.cos, [1, total, config.text.headDim]),
    rope_sin: float32Tensor(lmInputs.rope.sin, [1, total, config.text.headDim]),
    deepstack_embeds: {
      dtype,
      dims: [DEEPSTACK, 1, total, HIDDEN],
      data: lmInputs.spliced.deepstackPadded,
    },
  });
  const metaHidden = requireOutput(lmOut, 'qwen_lm_hidden', 'meta_hidden');
  if (hooks.onTensor) hooks.onTensor('meta_hidden', toFloat32(metaHidden), metaHidden.dims);

  const connected = await graphs.run('connector', { meta_hidden: metaHidden });
  const condTensor = requireOutput(connected, 'connector', 'cond');
  const cond = toFloat32(condTensor);
  hooks.onTensor?.('cond', cond, condTensor.dims);
  return cond;
}
