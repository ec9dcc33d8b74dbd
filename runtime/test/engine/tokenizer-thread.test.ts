import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError, InferenceError } from '#core/errors.ts';
import { startTokenizerThread, type ThreadedTokenizer } from '#runtime/engine/tokenizer-thread.ts';
import { loadQwenTokenizer, type QwenTokenizer } from '#runtime/pipeline/text/qwen-tokenizer.ts';
import { QWEN_TOKENIZER_FIXTURE } from '#test/fixtures/tokenizer/tokenizer-files.ts';

let threaded: ThreadedTokenizer;
let local: QwenTokenizer;

beforeAll(async () => {
  [threaded, local] = await Promise.all([
    startTokenizerThread(QWEN_TOKENIZER_FIXTURE),
    loadQwenTokenizer(QWEN_TOKENIZER_FIXTURE),
  ]);
});
afterAll(async () => {
  await threaded?.close();
});

describe('the tokenizer thread', () => {
  it('answers encode, renderChat and tokenId exactly as the tokenizer in this thread does', () => {
    const texts = [
      'make it winter',
      'Füge einen Regenbogen hinzu 🌈, bitte',
      '<|vision_start|><|image_pad|><|vision_end|>把天空变成紫色',
      '',
    ];
    const messages = [
      {
        role: 'user' as const,
        content: [{ type: 'image' as const }, { type: 'text' as const, text: 'add a hat' }],
      },
    ];

    for (const text of texts) {
      const ids = threaded.encode(text);
      expect(ids).toBeInstanceOf(Int32Array);
      expect([...ids]).toEqual([...local.encode(text)]);
    }
    expect(threaded.renderChat(messages)).toBe(local.renderChat(messages));
    expect(threaded.tokenId('<|image_pad|>')).toBe(151655);
  });

  it("revives the tokenizer's own errors with their class and code", () => {
    let caught: unknown;
    try {
      threaded.tokenId('<|no_such_token|>');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(BundleError);
    expect(caught).toMatchObject({ code: 'BUNDLE_INVALID' });
    // The thread still answers after an error.
    expect([...threaded.encode('ok')]).toEqual([...local.encode('ok')]);
  });

  it('fails to start with the bundle error of a missing file', async () => {
    const started = startTokenizerThread({
      ...QWEN_TOKENIZER_FIXTURE,
      tokenizerJson: '/nonexistent/tokenizer.json',
    });

    await expect(started).rejects.toBeInstanceOf(BundleError);
    await expect(started).rejects.toMatchObject({ code: 'BUNDLE_MISSING' });
  });

  it('refuses calls once closed, and closes twice without error', async () => {
    const tokenizer = await startTokenizerThread(QWEN_TOKENIZER_FIXTURE);

    await tokenizer.close();
    await tokenizer.close();

    expect(() => tokenizer.encode('late')).toThrow(InferenceError);
  });
});
