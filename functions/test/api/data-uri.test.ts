import { describe, expect, it } from 'vitest';
import { decodeDataUri } from '#functions/api/data-uri.ts';

describe('decodeDataUri', () => {
  it('decodes base64 content whatever media type it claims', () => {
    expect([...decodeDataUri('data:text/plain;charset=x;base64,AQID', 10)]).toEqual([1, 2, 3]);
    expect([...decodeDataUri('data:;base64,AQIDBA==', 10)]).toEqual([1, 2, 3, 4]);
  });

  it('refuses content above the limit from its length, before decoding', () => {
    expect(() => decodeDataUri(`data:image/png;base64,${'A'.repeat(16)}`, 11)).toThrow(
      expect.objectContaining({
        code: 'PAYLOAD_TOO_LARGE',
        details: expect.objectContaining({ bytes: 12 }),
      }),
    );
    expect(decodeDataUri(`data:image/png;base64,${'A'.repeat(16)}`, 12)).toHaveLength(12);
  });

  it('refuses text that is not a base64 data URI', () => {
    expect(() => decodeDataUri('https://a.example/x.png', 10)).toThrow(
      /Expected "image.dataUri" to be a data URI/,
    );
    expect(() => decodeDataUri('data:image/png;base64,AQI$', 10)).toThrow(/standard base64/);
    expect(() => decodeDataUri('data:image/png;base64,AQIDB', 10)).toThrow(/truncated group/);
  });
});
