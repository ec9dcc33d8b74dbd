/**
 * Typed entry points into `@huggingface/tokenizers` 0.2.0 and `@huggingface/jinja` 0.5.11.
 *
 * Under `moduleResolution: NodeNext` the tokenizers package's declarations re-export through
 * extensionless relative paths that do not resolve, so its `Tokenizer` silently types as `any`
 * (platform-notes §4.3). This file is the only place that touches that value: it pins the few
 * members the pipeline uses, so no `any` leaks into our code.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

/** The members of `@huggingface/tokenizers`' `Tokenizer` that the pipeline uses. */
export interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { readonly ids: number[] };
  /** The id of a vocabulary or added token, `undefined` when the tokenizer lacks it. */
  token_to_id(token: string): number | undefined;
}

type HfTokenizerConstructor = new (tokenizerJson: object, tokenizerConfig: object) => HfTokenizer;

// The package's own signature is `constructor(tokenizer: Object, config: Object)`; the assignment
// pins it (and type-checks against the real declaration if the resolution bug is ever fixed).
const TokenizerClass: HfTokenizerConstructor = Tokenizer;

/** Builds a tokenizer from the parsed `tokenizer.json` and `tokenizer_config.json`. */
export function createHfTokenizer(tokenizerJson: object, tokenizerConfig: object): HfTokenizer {
  return new TokenizerClass(tokenizerJson, tokenizerConfig);
}

/** A compiled chat template (`trim_blocks` and `lstrip_blocks` on, as in transformers). */
export interface ChatTemplate {
  render(context: Readonly<Record<string, unknown>>): string;
}

/** Parses a Jinja chat template; throws the library's error on a syntax error. */
export function compileChatTemplate(source: string): ChatTemplate {
  const template = new Template(source);
  return { render: (context) => template.render({ ...context }) };
}
