import { describe, expect, it } from 'vitest';
import { InferenceError } from '#core/errors.ts';
import { spliceEmbeddings } from '#runtime/pipeline/text/embedding-splice.ts';

const PAD = 151655;
const HIDDEN = 2;

/** Rows of `hidden` values where row r holds [base + r, base + r + 0.5]. */
function rows(count: number, base: number): number[] {
  return Array.from({ length: count }, (_, r) => [base + r, base + r + 0.5]).flat();
}

// L = 7: 2 text, 3 image pads, 2 text; N = 3; M = 2 meta rows.
const inputIds = Int32Array.from([151644, 872, PAD, PAD, PAD, 151653, 198]);
const text = rows(7, 100);
const image = rows(3, 200);
const deepstack = [...rows(3, 300), ...rows(3, 400), ...rows(3, 500)];
const meta = rows(2, 900);

describe('spliceEmbeddings', () => {
  it('replaces the pad rows, appends the meta rows and pads DeepStack (float32)', () => {
    const result = spliceEmbeddings({
      inputIds,
      textEmbeds: Float32Array.from(text),
      imageEmbeds: Float32Array.from(image),
      deepstack: Float32Array.from(deepstack),
      metaQueries: Float32Array.from(meta),
      seqLen: 7,
      imageStart: 2,
      numImageTokens: 3,
      hidden: HIDDEN,
    });
    expect(result.inputsEmbeds).toBeInstanceOf(Float32Array);
    expect(Array.from(result.inputsEmbeds)).toEqual([
      ...rows(2, 100),
      ...rows(3, 200),
      ...rows(2, 105),
      ...rows(2, 900),
    ]);
    const zeros = (count: number) => new Array(count * HIDDEN).fill(0);
    expect(result.deepstackPadded).toBeInstanceOf(Float32Array);
    expect(Array.from(result.deepstackPadded)).toEqual([
      ...zeros(2),
      ...rows(3, 300),
      ...zeros(4),
      ...zeros(2),
      ...rows(3, 400),
      ...zeros(4),
      ...zeros(2),
      ...rows(3, 500),
      ...zeros(4),
    ]);
  });

  it('keeps float16 bit patterns untouched in Uint16Array inputs', () => {
    const bits = (values: number[]) => Uint16Array.from(values.map((v) => Math.round(v * 2)));
    const result = spliceEmbeddings({
      inputIds,
      textEmbeds: bits(text),
      imageEmbeds: bits(image),
      deepstack: bits(deepstack),
      metaQueries: bits(meta),
      seqLen: 7,
      imageStart: 2,
      numImageTokens: 3,
      hidden: HIDDEN,
    });
    expect(result.inputsEmbeds).toBeInstanceOf(Uint16Array);
    expect(result.deepstackPadded).toBeInstanceOf(Uint16Array);
    expect(Array.from(result.inputsEmbeds)).toEqual(
      Array.from(bits([...rows(2, 100), ...rows(3, 200), ...rows(2, 105), ...rows(2, 900)])),
    );
    expect(result.deepstackPadded).toHaveLength(3 * 9 * HIDDEN);
    expect(Array.from(result.deepstackPadded.subarray(9 * HIDDEN, 10 * HIDDEN))).toEqual([0, 0]);
    expect(Array.from(result.deepstackPadded.subarray(11 * HIDDEN, 12 * HIDDEN))).toEqual(
      Array.from(bits(rows(1, 400))),
    );
  });

  it('appends the meta rows and zero DeepStack for text-to-image', () => {
    const ids = Int32Array.from([151644, 872, 198]);
    const result = spliceEmbeddings({
      inputIds: ids,
      textEmbeds: Float32Array.from(rows(3, 100)),
      imageEmbeds: new Float32Array(0),
      deepstack: new Float32Array(0),
      metaQueries: Float32Array.from(meta),
      seqLen: 3,
      imageStart: -1,
      numImageTokens: 0,
      hidden: HIDDEN,
    });
    expect(Array.from(result.inputsEmbeds)).toEqual([...rows(3, 100), ...rows(2, 900)]);
    expect(Array.from(result.deepstackPadded)).toEqual(new Array(3 * 5 * HIDDEN).fill(0));
  });

  const base = {
    inputIds,
    textEmbeds: Float32Array.from(text),
    imageEmbeds: Float32Array.from(image),
    deepstack: Float32Array.from(deepstack),
    metaQueries: Float32Array.from(meta),
    seqLen: 7,
    imageStart: 2,
    numImageTokens: 3,
    hidden: HIDDEN,
  };

  it('refuses an image token count that differs from the image pads in the prompt', () => {
    const twoPads = Int32Array.from([151644, 872, PAD, PAD, 151652, 151653, 198]);
    expect(() => spliceEmbeddings({ ...base, inputIds: twoPads })).toThrow(InferenceError);
    expect(() => spliceEmbeddings({ ...base, inputIds: twoPads })).toThrow(
      /Expected 3 <\|image_pad\|> ids at positions 2..4 .* holds 2/,
    );
  });

  it('refuses image pads outside the announced rows', () => {
    const shifted = Int32Array.from([151644, PAD, PAD, PAD, 872, 151653, 198]);
    expect(() => spliceEmbeddings({ ...base, inputIds: shifted })).toThrow(
      /holds 3, not all in that range/,
    );
  });

  it('refuses sizes that do not match and mixed element types', () => {
    expect(() => spliceEmbeddings({ ...base, imageEmbeds: new Float32Array(4) })).toThrow(
      /imageEmbeds.length to be 3 × 2 \(N × hidden\) but received 4/,
    );
    expect(() => spliceEmbeddings({ ...base, deepstack: new Float32Array(6) })).toThrow(
      /deepstack.length/,
    );
    expect(() => spliceEmbeddings({ ...base, metaQueries: new Float32Array(3) })).toThrow(
      /metaQueries.length to be a positive multiple of 2 per row/,
    );
    expect(() => spliceEmbeddings({ ...base, seqLen: 6 })).toThrow(/inputIds.length/);
    expect(() =>
      spliceEmbeddings<Float32Array | Uint16Array>({ ...base, metaQueries: new Uint16Array(4) }),
    ).toThrow(/metaQueries to be a Float32Array like textEmbeds but received a Uint16Array/);
  });
});
