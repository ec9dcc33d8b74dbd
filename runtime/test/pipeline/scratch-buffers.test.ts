import { describe, expect, it } from 'vitest';
import { ScratchBuffers } from '#runtime/pipeline/scratch-buffers.ts';

describe('ScratchBuffers', () => {
  it('reuses one buffer per name and returns views of exactly the asked length', () => {
    const arena = new ScratchBuffers();
    const a = arena.float32('x', 100);
    a.fill(7);
    const b = arena.float32('x', 60);
    expect(b.length).toBe(60);
    expect(b.buffer).toBe(a.buffer);
    expect(b[0]).toBe(7); // contents are left as they were unless zeroed is asked
    expect(arena.float32('x', 60, true).every((v) => v === 0)).toBe(true);
  });

  it('grows when a larger array is asked for, and keeps names apart', () => {
    const arena = new ScratchBuffers();
    const small = arena.uint16('a', 10);
    const big = arena.uint16('a', 10_000);
    expect(big.length).toBe(10_000);
    expect(big.buffer).not.toBe(small.buffer);
    expect(arena.uint8('b', 10).buffer).not.toBe(big.buffer);
  });

  it('hands out itself to one holder at a time and a fresh arena to the next', () => {
    const arena = new ScratchBuffers();
    const first = arena.acquire();
    const second = arena.acquire();
    expect(first).toBe(arena);
    expect(second).not.toBe(arena);
    first.release();
    expect(arena.acquire()).toBe(arena);
  });
});
