/**
 * Large host arrays reused from job to job. A 2048² edit moves ~100 MB of typed arrays through the
 * host; allocating them afresh each job makes V8 run full collections over the tokenizer's large
 * heap (measured: ~100 ms of GC per 1024² job on one core). One arena per process, used by one job
 * at a time (the inference thread runs jobs in sequence); a job that finds it busy (concurrent
 * in-process runs, e.g. tests) gets a throwaway arena and behaves the same, only slower.
 *
 * A returned array is a view of exactly `length` elements; its contents are whatever the previous
 * job left (callers overwrite every element, or ask for `zeroed`). It stays valid until the same
 * name is requested again.
 */
export class ScratchBuffers {
  readonly #buffers = new Map<string, ArrayBuffer>();
  #busy = false;

  /** This arena if no job holds it, else a fresh one; hand it back with `release`. */
  acquire(): ScratchBuffers {
    if (this.#busy) return new ScratchBuffers();
    this.#busy = true;
    return this;
  }

  release(): void {
    this.#busy = false;
  }

  float32(name: string, length: number, zeroed = false): Float32Array {
    const view = new Float32Array(this.#bytes(name, length * 4), 0, length);
    return zeroed ? view.fill(0) : view;
  }

  uint16(name: string, length: number, zeroed = false): Uint16Array {
    const view = new Uint16Array(this.#bytes(name, length * 2), 0, length);
    return zeroed ? view.fill(0) : view;
  }

  uint8(name: string, length: number): Uint8Array {
    return new Uint8Array(this.#bytes(name, length), 0, length);
  }

  #bytes(name: string, byteLength: number): ArrayBuffer {
    const current = this.#buffers.get(name);
    if (current !== undefined && current.byteLength >= byteLength) return current;
    // Grow with headroom so a slightly larger next job does not reallocate again.
    const buffer = new ArrayBuffer(Math.ceil(byteLength * 1.25));
    this.#buffers.set(name, buffer);
    return buffer;
  }
}
