/**
 * The VLM prompt: query template, chat template and `<|image_pad|>` expansion (reference §2.3).
 */
import { BundleError, InferenceError } from '#core/errors.ts';
import { pythonStrip } from '#core/instruction.ts';
import { type ChatContentItem, IMAGE_PAD_ID, type QwenTokenizer } from './qwen-tokenizer.ts';

/** Query templates with an `{instruction}` placeholder (Python `str.format` style). */
export interface PromptTemplates {
  readonly edit: string;
  readonly textToImage: string;
}

/** Upstream VIBE's templates (`VIBESanaEditingPipeline.edit_query_template` and `t2i_query_template`). */
export const VIBE_PROMPT_TEMPLATES: PromptTemplates = {
  edit: 'what will this image be like if {instruction}',
  textToImage: 'generate the image by description: {instruction}',
};

export interface BuildPromptTokensOptions {
  /** The user's instruction, already checked by `validateInstruction`. */
  readonly instruction: string;
  /** Merged vision tokens (gh·gw/4) for an edit; `null` for text-to-image (no image item). */
  readonly numImageTokens: number | null;
  readonly templates: PromptTemplates;
}

export interface PromptTokens {
  /** Token ids of the prompt with `<|image_pad|>` expanded, length L. */
  readonly inputIds: Int32Array;
  /** Index of the first `<|image_pad|>`; -1 without an image. */
  readonly imageStart: number;
  /** Number of `<|image_pad|>` ids in `inputIds` (0 without an image). */
  readonly numImageTokens: number;
  /** The rendered chat text before expansion (one `<|image_pad|>`), for logs and traces. */
  readonly text: string;
}

const PLACEHOLDER = '{instruction}';

/**
 * Builds the LM prompt ids as upstream's `prepare_inputs_batch` plus `Qwen3VLProcessor` do: the
 * stripped instruction goes into the query template, the message
 * `[{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: query }] }]` (no image item
 * for text-to-image) is rendered without a generation prompt, and the single `<|image_pad|>` is
 * expanded to `numImageTokens` copies. The expansion happens on ids, which equals tokenizing the
 * expanded text because the tokenizer splits added tokens out before BPE.
 *
 * @throws BundleError `BUNDLE_INVALID` when a template lacks `{instruction}`.
 * @throws InferenceError when `numImageTokens` is not a positive integer or null, or the rendered
 *   prompt does not hold exactly one image slot for an edit (none for text-to-image), which means
 *   the instruction did not go through `validateInstruction`.
 */
export function buildPromptTokens(
  tokenizer: QwenTokenizer,
  options: BuildPromptTokensOptions,
): PromptTokens {
  const { numImageTokens } = options;
  const withImage = numImageTokens !== null;
  if (withImage && (!Number.isInteger(numImageTokens) || numImageTokens < 1)) {
    throw new InferenceError(
      `Expected numImageTokens to be a positive integer or null but received ${numImageTokens}`,
      { details: { numImageTokens } },
    );
  }
  const template = withImage ? options.templates.edit : options.templates.textToImage;
  const query = formatQuery(template, pythonStrip(options.instruction));
  const content: ChatContentItem[] = withImage
    ? [{ type: 'image' }, { type: 'text', text: query }]
    : [{ type: 'text', text: query }];
  const text = tokenizer.renderChat([{ role: 'user', content }]);
  const ids = tokenizer.encode(text);

  const padAt = ids.indexOf(IMAGE_PAD_ID);
  const pads = padAt === -1 ? 0 : countFrom(ids, IMAGE_PAD_ID, padAt);
  const expectedPads = withImage ? 1 : 0;
  if (pads !== expectedPads) {
    throw new InferenceError(
      `Expected the rendered prompt to hold ${expectedPads} <|image_pad|> token(s) but it holds ${pads}; instructions must pass validateInstruction`,
      { details: { expectedPads, pads } },
    );
  }
  if (!withImage) return { inputIds: ids, imageStart: -1, numImageTokens: 0, text };

  const inputIds = new Int32Array(ids.length - 1 + numImageTokens);
  inputIds.set(ids.subarray(0, padAt), 0);
  inputIds.fill(IMAGE_PAD_ID, padAt, padAt + numImageTokens);
  inputIds.set(ids.subarray(padAt + 1), padAt + numImageTokens);
  return { inputIds, imageStart: padAt, numImageTokens, text };
}

function formatQuery(template: string, instruction: string): string {
  if (!template.includes(PLACEHOLDER)) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected the prompt template ${JSON.stringify(template)} to contain the placeholder ${PLACEHOLDER}`,
      { details: { template } },
    );
  }
  // split/join, not String.replace: a replacement string would interpret "$&" and friends.
  return template.split(PLACEHOLDER).join(instruction);
}

function countFrom(ids: Int32Array, id: number, from: number): number {
  let count = 0;
  for (let i = from; i < ids.length; i++) if (ids[i] === id) count++;
  return count;
}
