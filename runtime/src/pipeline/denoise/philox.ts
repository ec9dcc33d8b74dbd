/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator that cuRAND and torch's CUDA generator also use. Pure 32-bit integer
 * arithmetic, so its output depends on nothing but the counter and the key.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const M0_LO = M0 & 0xffff;
const M0_HI = M0 >>> 16;
const M1_LO = M1 & 0xffff;
const M1_HI = M1 >>> 16;

/** High 32 bits of the 64-bit product a·m (a, m unsigned 32-bit), from 16-bit partial products. */
function mulHi(a: number, mLo: number, mHi: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const lolo = aLo * mLo;
  const hilo = aHi * mLo;
  const lohi = aLo * mHi;
  const mid = (lolo >>> 16) + (hilo & 0xffff) + (lohi & 0xffff);
  return (aHi * mHi + (hilo >>> 16) + (lohi >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Runs the 10 Philox rounds on `counter` (4 words) with `key` (2 words) and writes the 4 output words
 * to `out` (which may be `counter`). All words are unsigned 32-bit integers.
 */
export function philox4x32(
  counter: ArrayLike<number>,
  key0: number,
  key1: number,
  out: Uint32Array,
): void {
  let c0 = (counter[0] as number) >>> 0;
  let c1 = (counter[1] as number) >>> 0;
  let c2 = (counter[2] as number) >>> 0;
  let c3 = (counter[3] as number) >>> 0;
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHi(c0, M0_LO, M0_HI);
    const lo0 = Math.imul(c0, M0) >>> 0;
    const hi1 = mulHi(c2, M1_LO, M1_HI);
    const lo1 = Math.imul(c2, M1) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}
