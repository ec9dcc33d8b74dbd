/**
 * The Qwen3-VL tokenizer and chat template, loaded from the bundle's files (reference §2.3, §3.1).
 */
import { readFile } from 'node:fs/promises';
import { BundleError } from '#core/errors.ts';
import {
  type ChatTemplate,
  compileChatTemplate,
  createHfTokenizer,
  type HfTokenizer,
} from './hf-text-libraries.ts';

/** The special tokens the VLM prompt relies on, with their Qwen2/Qwen3 ids. */
export const QWEN_SPECIAL_TOKEN_IDS = {
  '<|im_start|>': 151644,
  '<|im_end|>': 151645,
  '<|vision_start|>': 151652,
  '<|vision_end|>': 151653,
  '<|image_pad|>': 151655,
} as const;

export type QwenSpecialToken = keyof typeof QWEN_SPECIAL_TOKEN_IDS;

/** Id of `<|image_pad|>`, one per merged vision token after expansion. */
export const IMAGE_PAD_ID = QWEN_SPECIAL_TOKEN_IDS['<|image_pad|>'];

/** One item of a multimodal message, as the processor's chat template reads it. */
export type ChatContentItem =
  | { readonly type: 'image' }
  | { readonly type: 'text'; readonly text: string };

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string | readonly ChatContentItem[];
}

export interface QwenTokenizer {
  /** Token ids of `text`, without BOS; added tokens such as `<|image_pad|>` map to one id each. */
  encode(text: string): Int32Array;
  /** Renders `messages` with the chat template, without a generation prompt. */
  renderChat(messages: readonly ChatMessage[]): string;
  /**
   * The id of a token.
   * @throws BundleError `BUNDLE_INVALID` when the tokenizer does not know the token.
   */
  tokenId(token: string): number;
}

/** Paths of the tokenizer files inside a bundle. */
export interface QwenTokenizerPaths {
  readonly tokenizerJson: string;
  readonly tokenizerConfig: string;
  /** `chat_template.json` (processor format, `{ "chat_template": "..." }`) or a `.jinja` file. */
  readonly chatTemplate: string;
}

/**
 * Loads the tokenizer and the chat template and checks the special tokens.
 *
 * @throws BundleError `BUNDLE_MISSING` when a file does not exist; `BUNDLE_INVALID` when a file is
 *   not valid JSON, the tokenizer cannot be built, a special token is missing or has another id,
 *   or the chat template does not render one image slot for an image item.
 */
export async function loadQwenTokenizer(paths: QwenTokenizerPaths): Promise<QwenTokenizer> {
  const [tokenizerJson, tokenizerConfig, templateSource] = await Promise.all([
    readJsonObject(paths.tokenizerJson),
    readJsonObject(paths.tokenizerConfig),
    readChatTemplate(paths.chatTemplate),
  ]);
  // The template compiles in microseconds and the tokenizer takes ~0.3 s: fail fast on the first.
  let template: ChatTemplate;
  try {
    template = compileChatTemplate(templateSource);
  } catch (error) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${paths.chatTemplate} to hold a valid Jinja chat template but parsing failed: ${errorText(error)}`,
      { cause: error, details: { file: paths.chatTemplate } },
    );
  }
  let hf: HfTokenizer;
  try {
    hf = createHfTokenizer(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${paths.tokenizerJson} to describe a tokenizer that @huggingface/tokenizers can build but it failed: ${errorText(error)}`,
      { cause: error, details: { file: paths.tokenizerJson } },
    );
  }
  checkSpecialTokens(hf, paths.tokenizerJson);
  const tokenizer = new LoadedQwenTokenizer(hf, template, paths);
  checkChatTemplate(tokenizer, paths.chatTemplate);
  return tokenizer;
}

class LoadedQwenTokenizer implements QwenTokenizer {
  constructor(
    private readonly hf: HfTokenizer,
    private readonly template: ChatTemplate,
    private readonly paths: QwenTokenizerPaths,
  ) {}

  encode(text: string): Int32Array {
    return Int32Array.from(this.hf.encode(text, { add_special_tokens: false }).ids);
  }

  renderChat(messages: readonly ChatMessage[]): string {
    try {
      return this.template.render({ messages, add_generation_prompt: false, add_vision_id: false });
    } catch (error) {
      // Data never reaches Jinja as code, so a failing render is the template's fault.
      throw new BundleError(
        'BUNDLE_INVALID',
        `Expected the chat template ${this.paths.chatTemplate} to render a Qwen3-VL message list but it failed: ${errorText(error)}`,
        { cause: error, details: { file: this.paths.chatTemplate } },
      );
    }
  }

  tokenId(token: string): number {
    const id = this.hf.token_to_id(token);
    if (id === undefined) {
      throw new BundleError(
        'BUNDLE_INVALID',
        `Expected ${this.paths.tokenizerJson} to contain the token ${JSON.stringify(token)} but it does not`,
        { details: { file: this.paths.tokenizerJson, token } },
      );
    }
    return id;
  }
}

function checkSpecialTokens(hf: HfTokenizer, file: string): void {
  for (const [token, expected] of Object.entries(QWEN_SPECIAL_TOKEN_IDS)) {
    const id = hf.token_to_id(token);
    // An added token must also be split out of text atomically, not merely sit in the vocabulary.
    const encoded = id === expected ? hf.encode(token, { add_special_tokens: false }).ids : [];
    if (id !== expected || encoded.length !== 1 || encoded[0] !== expected) {
      const found =
        id === undefined
          ? 'it is missing'
          : id !== expected
            ? `it has id ${id}`
            : `it encodes to [${encoded.join(', ')}]`;
      throw new BundleError(
        'BUNDLE_INVALID',
        `Expected ${file} to define the special token ${token} with id ${expected}, encoded as one token, but ${found}`,
        { details: { file, token, expectedId: expected, foundId: id ?? null } },
      );
    }
  }
}

function checkChatTemplate(tokenizer: QwenTokenizer, file: string): void {
  const probe = tokenizer.renderChat([
    { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'x' }] },
  ]);
  const slots = probe.split('<|vision_start|><|image_pad|><|vision_end|>').length - 1;
  if (slots !== 1) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${file} to be the Qwen3-VL processor chat template, rendering one <|vision_start|><|image_pad|><|vision_end|> for an image item, but it rendered ${slots}`,
      { details: { file, rendered: probe.slice(0, 200) } },
    );
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const missing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
    throw new BundleError(
      missing ? 'BUNDLE_MISSING' : 'BUNDLE_INVALID',
      `Expected the tokenizer file ${file} to be readable but ${missing ? 'it does not exist' : `reading failed: ${errorText(error)}`}`,
      { cause: error, details: { file } },
    );
  }
}

async function readJsonObject(file: string): Promise<object> {
  const text = await readText(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${file} to be JSON but parsing failed: ${errorText(error)}`,
      { cause: error, details: { file } },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${file} to hold a JSON object but it holds ${Array.isArray(parsed) ? 'an array' : String(parsed)}`,
      { details: { file } },
    );
  }
  return parsed;
}

async function readChatTemplate(file: string): Promise<string> {
  if (file.endsWith('.jinja')) return readText(file);
  const json = await readJsonObject(file);
  const source = 'chat_template' in json ? json.chat_template : undefined;
  if (typeof source !== 'string' || source.length === 0) {
    throw new BundleError(
      'BUNDLE_INVALID',
      `Expected ${file} to have a non-empty string field "chat_template" but it ${source === undefined ? 'has none' : `holds ${typeof source === 'string' ? 'an empty string' : `a ${typeof source}`}`}`,
      { details: { file, field: 'chat_template' } },
    );
  }
  return source;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
