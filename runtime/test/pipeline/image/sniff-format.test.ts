import { describe, expect, it } from 'vitest';
import { sniffFormat } from '#runtime/pipeline/image/sniff-format.ts';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(
    parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)),
  );

describe('sniffFormat', () => {
  it('recognises the accepted formats by signature', () => {
    expect(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0]))).toEqual({
      accepted: true,
      format: 'jpeg',
    });
    expect(sniffFormat(bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]))).toEqual({
      accepted: true,
      format: 'png',
    });
    expect(sniffFormat(bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 '))).toEqual({
      accepted: true,
      format: 'webp',
    });
  });

  it('names common unaccepted formats', () => {
    expect(sniffFormat(bytes('GIF89a'))).toEqual({ accepted: false, name: 'GIF' });
    expect(sniffFormat(bytes([0x4d, 0x4d, 0x00, 0x2a]))).toEqual({ accepted: false, name: 'TIFF' });
    expect(sniffFormat(bytes('BM', [0, 0, 0, 0]))).toEqual({ accepted: false, name: 'BMP' });
    expect(sniffFormat(bytes([0, 0, 0, 0x18], 'ftypheic'))).toEqual({
      accepted: false,
      name: 'HEIC',
    });
    expect(sniffFormat(bytes([0, 0, 0, 0x18], 'ftypavif'))).toEqual({
      accepted: false,
      name: 'AVIF',
    });
    expect(sniffFormat(bytes('  <svg xmlns="http://www.w3.org/2000/svg">'))).toEqual({
      accepted: false,
      name: 'SVG',
    });
    expect(sniffFormat(bytes('%PDF-1.7'))).toEqual({ accepted: false, name: 'PDF' });
  });

  it('calls anything else unrecognised, including a RIFF that is not WebP', () => {
    expect(sniffFormat(bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt '))).toEqual({
      accepted: false,
      name: 'unrecognised data',
    });
    expect(sniffFormat(bytes([0xff, 0xd8]))).toEqual({
      accepted: false,
      name: 'unrecognised data',
    });
  });
});
