/** An event at a time; `seq` breaks ties in insertion order so runs are deterministic. */
interface Entry<T> {
  readonly time: number;
  readonly seq: number;
  readonly value: T;
}

/** Binary min-heap of timed events (the simulator's calendar). */
export class EventHeap<T> {
  private readonly entries: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.entries.length;
  }

  push(time: number, value: T): void {
    const entries = this.entries;
    entries.push({ time, seq: this.seq++, value });
    let index = entries.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(entries[index] as Entry<T>, entries[parent] as Entry<T>)) break;
      swap(entries, index, parent);
      index = parent;
    }
  }

  /** Removes and returns the earliest event, or undefined when empty. */
  pop(): { time: number; value: T } | undefined {
    const entries = this.entries;
    const top = entries[0];
    if (top === undefined) return undefined;
    const last = entries.pop() as Entry<T>;
    if (entries.length > 0) {
      entries[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (
          left < entries.length &&
          before(entries[left] as Entry<T>, entries[smallest] as Entry<T>)
        )
          smallest = left;
        if (
          right < entries.length &&
          before(entries[right] as Entry<T>, entries[smallest] as Entry<T>)
        )
          smallest = right;
        if (smallest === index) break;
        swap(entries, index, smallest);
        index = smallest;
      }
    }
    return { time: top.time, value: top.value };
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

function swap<T>(entries: Entry<T>[], i: number, j: number): void {
  const a = entries[i] as Entry<T>;
  entries[i] = entries[j] as Entry<T>;
  entries[j] = a;
}
