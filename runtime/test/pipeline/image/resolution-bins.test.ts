import { describe, expect, it } from 'vitest';
import {
  ASPECT_RATIO_TABLES,
  type BinTable,
  selectBin,
  tableForArea,
} from '#runtime/pipeline/image/resolution-bins.ts';

const TABLES: BinTable[] = [512, 1024, 2048];

describe('ASPECT_RATIO_TABLES', () => {
  it('has diffusers’ key counts: 33 for PixArt-Alpha’s 512/1024 tables, 40 for PixArt-Sigma’s 2048', () => {
    expect(ASPECT_RATIO_TABLES[512]).toHaveLength(33);
    expect(ASPECT_RATIO_TABLES[1024]).toHaveLength(33);
    expect(ASPECT_RATIO_TABLES[2048]).toHaveLength(40);
  });

  it('keeps upstream insertion order', () => {
    expect(ASPECT_RATIO_TABLES[1024].map((e) => e.key).slice(0, 4)).toEqual([
      '0.25',
      '0.28',
      '0.32',
      '0.33',
    ]);
    expect(ASPECT_RATIO_TABLES[1024].map((e) => e.key).slice(-4)).toEqual([
      '2.4',
      '2.5',
      '3.0',
      '4.0',
    ]);
    expect(ASPECT_RATIO_TABLES[2048].map((e) => e.key).slice(0, 4)).toEqual([
      '0.25',
      '0.26',
      '0.27',
      '0.28',
    ]);
    expect(ASPECT_RATIO_TABLES[2048].map((e) => e.key).slice(-4)).toEqual([
      '3.62',
      '3.75',
      '3.88',
      '4.0',
    ]);
  });

  it('scales the 1024 values by 0.5 for the 512 table and by 2 for the 2048 table', () => {
    const t1024 = new Map(ASPECT_RATIO_TABLES[1024].map((e) => [e.key, e]));
    for (const e of ASPECT_RATIO_TABLES[512]) {
      expect(t1024.get(e.key)).toMatchObject({ height: e.height * 2, width: e.width * 2 });
    }
    for (const e of ASPECT_RATIO_TABLES[2048]) {
      const base = t1024.get(e.key);
      if (base) expect(base).toMatchObject({ height: e.height / 2, width: e.width / 2 });
    }
    expect(ASPECT_RATIO_TABLES[2048].find((e) => e.key === '0.26')).toMatchObject({
      height: 1024,
      width: 3968,
    });
    expect(ASPECT_RATIO_TABLES[2048].find((e) => e.key === '3.62')).toMatchObject({
      height: 3712,
      width: 1024,
    });
  });

  it('holds only sizes divisible by the VAE factor 32', () => {
    for (const t of TABLES) {
      for (const e of ASPECT_RATIO_TABLES[t]) {
        expect(e.width % 32).toBe(0);
        expect(e.height % 32).toBe(0);
      }
    }
  });
});

describe('tableForArea', () => {
  it('switches tables above 589,824 and above 2,359,296 pixels', () => {
    expect(tableForArea(768, 768)).toBe(512); // 589,824
    expect(tableForArea(589_825, 1)).toBe(1024);
    expect(tableForArea(1536, 1536)).toBe(1024); // 2,359,296
    expect(tableForArea(2_359_297, 1)).toBe(2048);
  });
});

describe('selectBin', () => {
  it.each([
    [1920, 1080, { width: 1344, height: 768, table: 1024, key: '0.57' }],
    [1536, 1536, { width: 1024, height: 1024, table: 1024, key: '1.0' }],
    [1600, 1600, { width: 2048, height: 2048, table: 2048, key: '1.0' }],
    [4000, 3000, { width: 2304, height: 1664, table: 2048, key: '0.72' }],
    [1024, 1024, { width: 1024, height: 1024, table: 1024, key: '1.0' }],
    [2048, 2048, { width: 2048, height: 2048, table: 2048, key: '1.0' }],
    [512, 512, { width: 512, height: 512, table: 512, key: '1.0' }],
  ])('bins %i×%i as in reference §2.1', (w, h, expected) => {
    expect(selectBin(w, h)).toEqual(expected);
  });

  it('is idempotent on every bin size of all three tables', () => {
    for (const t of TABLES) {
      for (const e of ASPECT_RATIO_TABLES[t]) {
        expect(selectBin(e.width, e.height)).toEqual({
          width: e.width,
          height: e.height,
          table: t,
          key: e.key,
        });
      }
    }
  });

  it('gives an exact float64 tie to the first key (0.75 is as far from 0.72 as from 0.78)', () => {
    expect(Math.abs(0.72 - 0.75)).toBe(Math.abs(0.78 - 0.75));
    expect(selectBin(4000, 3000).key).toBe('0.72');
    expect(selectBin(1200, 900).key).toBe('0.72');
  });

  it('ties only where float64 ties: 0.265 is a tie, 2.45 and 1.035 are not', () => {
    // Decimal midpoints all, but float64 distances differ for 2.45 (nearer 2.5) and 1.035 (nearer 1.0).
    expect(Math.abs(0.26 - 0.265)).toBe(Math.abs(0.27 - 0.265));
    expect(selectBin(4000, 1060)).toMatchObject({ table: 2048, key: '0.26' });
    expect(Math.abs(2.4 - 2.45)).toBeGreaterThan(Math.abs(2.5 - 2.45));
    expect(selectBin(800, 1960)).toEqual({ width: 640, height: 1600, table: 1024, key: '2.5' });
    expect(Math.abs(1.0 - 1.035)).toBeLessThan(Math.abs(1.07 - 1.035));
    expect(selectBin(1000, 1035)).toEqual({ width: 1024, height: 1024, table: 1024, key: '1.0' });
  });

  it('uses the 33-key table below 2,359,296 pixels, so 0.26 bins to 0.25 there', () => {
    // 1984×512 is a 2048-table shape at half scale; PixArt-Alpha's 1024 table has no 0.26.
    expect(selectBin(1984, 512)).toEqual({ width: 2048, height: 512, table: 1024, key: '0.25' });
    expect(selectBin(3968, 1024)).toEqual({ width: 3968, height: 1024, table: 2048, key: '0.26' });
  });
});
