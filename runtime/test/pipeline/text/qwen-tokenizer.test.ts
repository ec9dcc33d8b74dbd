import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError } from '#core/errors.ts';
import { QWEN_ADDED_TOKEN_STRINGS } from '#core/instruction.ts';
import {
  IMAGE_PAD_ID,
  loadQwenTokenizer,
  QWEN_SPECIAL_TOKEN_IDS,
  type QwenTokenizer,
} from '#runtime/pipeline/text/qwen-tokenizer.ts';
import { QWEN_TOKENIZER_FIXTURE } from '#test/fixtures/tokenizer/tokenizer-files.ts';

let tokenizer: QwenTokenizer;
let scratch: string;

beforeAll(async () => {
  [tokenizer, scratch] = await Promise.all([
    loadQwenTokenizer(QWEN_TOKENIZER_FIXTURE),
    mkdtemp(join(tmpdir(), 'vibe-tokenizer-')),
  ]);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the tokenizer fixture', () => {
  it('holds the Qwen3-VL Instruct chat template byte for byte', async () => {
    // SHA-256 of Qwen/Qwen3-VL-*-Instruct's chat template (5292 bytes), as pinned by an
    // independent project against the published GGUF; the 2B and 8B Instruct templates match.
    const json = JSON.parse(await readFile(QWEN_TOKENIZER_FIXTURE.chatTemplate, 'utf8'));
    const source: string = json.chat_template;
    expect(Buffer.byteLength(source)).toBe(5292);
    expect(createHash('sha256').update(source).digest('hex')).toBe(
      '3636d0f0bd6bef02654cdffdc447b79cb2cef8ab02cc75267345946291a489e4',
    );
  });

  it('has exactly the added tokens that validateInstruction refuses', async () => {
    const json = JSON.parse(await readFile(QWEN_TOKENIZER_FIXTURE.tokenizerJson, 'utf8'));
    const added: string[] = json.added_tokens.map((t: { content: string }) => t.content);
    expect([...added].sort()).toEqual([...QWEN_ADDED_TOKEN_STRINGS].sort());
    expect(added).toHaveLength(26);
  });
});

describe('loadQwenTokenizer with the real Qwen3 tokenizer', () => {
  it('encodes the platform notes known ids without BOS', () => {
    expect(Array.from(tokenizer.encode('Hello, world!'))).toEqual([9707, 11, 1879, 0]);
    expect(tokenizer.encode('Hello, world!')).toBeInstanceOf(Int32Array);
    expect(
      Array.from(
        tokenizer.encode(
          '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>把天空变成紫色<|im_end|>\n',
        ),
      ),
    ).toEqual([
      151644, 872, 198, 151652, 151655, 151653, 99360, 101916, 104286, 111413, 151645, 198,
    ]);
  });

  it('knows the special tokens with the Qwen ids', () => {
    for (const [token, id] of Object.entries(QWEN_SPECIAL_TOKEN_IDS)) {
      expect(tokenizer.tokenId(token)).toBe(id);
    }
    expect(IMAGE_PAD_ID).toBe(151655);
    expect(tokenizer.tokenId('user')).toBe(872);
  });

  it('throws BundleError for a token the tokenizer lacks', () => {
    expect(() => tokenizer.tokenId('<|not_a_token|>')).toThrow(BundleError);
    expect(() => tokenizer.tokenId('<|not_a_token|>')).toThrow(/tokenizer\.json/);
  });

  it('renders a chat without a default system turn and without a generation prompt', () => {
    const text = tokenizer.renderChat([
      { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'hi' }] },
    ]);
    expect(text).toBe(
      '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>hi<|im_end|>\n',
    );
    expect(
      tokenizer.renderChat([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ]),
    ).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n');
  });
});

describe('loadQwenTokenizer refuses a bad bundle', () => {
  const added = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false };
  function tinyTokenizer(tokens: Record<string, number>, addedTokens: Record<string, number>) {
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: Object.entries(addedTokens).map(([content, id]) => added(id, content)),
      normalizer: null,
      pre_tokenizer: { ...byteLevel, use_regex: true },
      post_processor: null,
      decoder: { ...byteLevel, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: { a: 0, ...tokens, ...addedTokens },
        merges: [],
      },
    };
  }
  async function writeJson(name: string, value: unknown): Promise<string> {
    const file = join(scratch, name);
    await writeFile(file, JSON.stringify(value));
    return file;
  }

  it('names a missing file with BUNDLE_MISSING', async () => {
    const paths = { ...QWEN_TOKENIZER_FIXTURE, tokenizerJson: join(scratch, 'absent.json') };
    await expect(loadQwenTokenizer(paths)).rejects.toMatchObject({
      code: 'BUNDLE_MISSING',
      details: { file: paths.tokenizerJson },
    });
  });

  it('names a file that is not JSON with BUNDLE_INVALID', async () => {
    const file = join(scratch, 'broken.json');
    await writeFile(file, '{"model": ');
    await expect(
      loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, tokenizerConfig: file }),
    ).rejects.toMatchObject({ code: 'BUNDLE_INVALID', details: { file } });
  });

  it('refuses a special token with another id, or missing', async () => {
    const wrongId = await writeJson(
      'wrong-id.json',
      tinyTokenizer({}, { ...QWEN_SPECIAL_TOKEN_IDS, '<|image_pad|>': 151654 }),
    );
    const load = loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, tokenizerJson: wrongId });
    await expect(load).rejects.toThrow(BundleError);
    await expect(load).rejects.toThrow(/<\|image_pad\|> with id 151655.*it has id 151654/);

    const { '<|vision_end|>': _dropped, ...rest } = QWEN_SPECIAL_TOKEN_IDS;
    const missing = await writeJson('missing.json', tinyTokenizer({}, rest));
    await expect(
      loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, tokenizerJson: missing }),
    ).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { file: missing, token: '<|vision_end|>', foundId: null },
    });
  });

  it('refuses a special token that is in the vocabulary but not split out as an added token', async () => {
    const { '<|im_end|>': imEnd, ...rest } = QWEN_SPECIAL_TOKEN_IDS;
    const file = await writeJson('not-added.json', tinyTokenizer({ '<|im_end|>': imEnd }, rest));
    await expect(
      loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, tokenizerJson: file }),
    ).rejects.toThrow(/<\|im_end\|> with id 151645, encoded as one token, but it encodes to/);
  });

  it('refuses a chat template without the image slot (the Qwen3 text template)', async () => {
    const config = JSON.parse(await readFile(QWEN_TOKENIZER_FIXTURE.tokenizerConfig, 'utf8'));
    const file = join(scratch, 'qwen3-text.jinja');
    await writeFile(file, config.chat_template);
    await expect(
      loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, chatTemplate: file }),
    ).rejects.toMatchObject({ code: 'BUNDLE_INVALID', details: { file } });
  });

  it('refuses a chat_template.json without the field, or with a template that does not parse', async () => {
    const noField = await writeJson('no-field.json', { template: 'x' });
    await expect(
      loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, chatTemplate: noField }),
    ).rejects.toThrow(/non-empty string field "chat_template" but it has none/);
    const broken = await writeJson('broken-template.json', { chat_template: '{% if %}' });
    await expect(
      loadQwenTokenizer({ ...QWEN_TOKENIZER_FIXTURE, chatTemplate: broken }),
    ).rejects.toMatchObject({ code: 'BUNDLE_INVALID', details: { file: broken } });
  });
});
