import { describe, expect, it } from 'vitest';
import { isSafeBundlePath, resolveBundlePath } from '#runtime/bundle/bundle-path.ts';

describe('isSafeBundlePath', () => {
  it.each(['dit.onnx', 'tokenizer/tokenizer.json', 'parity/trace.json', 'a..b/c'])(
    'accepts %s',
    (path) => {
      expect(isSafeBundlePath(path)).toBe(true);
    },
  );

  it.each([
    '',
    '..',
    '../dit.onnx',
    'tokenizer/../../x',
    '/etc/passwd',
    'C:/models/dit.onnx',
    'c:dit.onnx',
    'tokenizer\\tokenizer.json',
    './dit.onnx',
    'tokenizer//tokenizer.json',
    'tokenizer/',
    'dit.onnx\0',
  ])('refuses %j', (path) => {
    expect(isSafeBundlePath(path)).toBe(false);
  });
});

describe('resolveBundlePath', () => {
  it('joins a safe path to the bundle folder', () => {
    expect(resolveBundlePath('/b', 'tokenizer.tokenizerJson', 'tokenizer/tokenizer.json')).toBe(
      '/b/tokenizer/tokenizer.json',
    );
  });

  it('throws BUNDLE_INVALID naming the field for an unsafe path', () => {
    expect(() => resolveBundlePath('/b', 'parityTrace', '../trace.json')).toThrow(
      expect.objectContaining({
        code: 'BUNDLE_INVALID',
        details: expect.objectContaining({
          file: 'manifest.json',
          field: 'parityTrace',
          found: '"../trace.json"',
        }),
      }),
    );
  });
});
