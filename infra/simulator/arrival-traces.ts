import { SeededRandom } from './seeded-random.ts';

/** One submitted edit. */
export interface SimJob {
  /** Submission time, seconds from the start of the trace. */
  readonly arrival: number;
  readonly size: 1024 | 2048;
}

export interface ArrivalTrace {
  readonly name: string;
  readonly description: string;
  /** Sorted by arrival. */
  readonly jobs: readonly SimJob[];
}

export const TRACE_NAMES = ['steady', 'bursty', 'day', 'batch-dump'] as const;
export type TraceName = (typeof TRACE_NAMES)[number];

const HOUR = 3600;

/**
 * The four arrival traces of the scaling study, generated from a seed:
 * - steady: Poisson, 30 edits/min for 2 h;
 * - bursty: Poisson 6/min for 3 h plus a burst of 300 edits within one minute every 45 min;
 * - day: 24 h, Poisson with a smooth daily curve from 1.2/min (04:00) to 48/min (16:00);
 * - batch-dump: 10,000 edits submitted within one minute, then nothing.
 * `share2048` of the edits are 2048x2048, the rest 1024x1024.
 */
export function makeTrace(name: TraceName, seed: number, share2048: number): ArrivalTrace {
  const random = new SeededRandom(seed);
  const size = (): 1024 | 2048 => (random.next() < share2048 ? 2048 : 1024);
  const arrivals: number[] = [];
  switch (name) {
    case 'steady':
      poisson(random, arrivals, 0, 2 * HOUR, () => 0.5);
      return build(name, 'Poisson 30/min for 2 h', arrivals, size);
    case 'bursty':
      poisson(random, arrivals, 0, 3 * HOUR, () => 0.1);
      for (let start = 15 * 60; start < 3 * HOUR; start += 45 * 60) {
        for (let i = 0; i < 300; i++) arrivals.push(start + random.next() * 60);
      }
      return build(name, '6/min for 3 h + 300 in 1 min every 45 min', arrivals, size);
    case 'day': {
      const low = 0.02;
      const high = 0.8;
      // Lowest at 04:00, highest at 16:00.
      const rate = (t: number) =>
        low + ((high - low) * (1 - Math.cos((2 * Math.PI * (t - 4 * HOUR)) / (24 * HOUR)))) / 2;
      poissonThinned(random, arrivals, 24 * HOUR, high, rate);
      return build(name, '24 h curve, 1.2/min at 04:00 to 48/min at 16:00', arrivals, size);
    }
    case 'batch-dump':
      for (let i = 0; i < 10_000; i++) arrivals.push(random.next() * 60);
      return build(name, '10,000 jobs within 1 min', arrivals, size);
  }
}

/** A trace from explicit arrivals (tests). */
export function traceOf(name: string, jobs: readonly SimJob[]): ArrivalTrace {
  return { name, description: name, jobs: [...jobs].sort((a, b) => a.arrival - b.arrival) };
}

function build(
  name: string,
  description: string,
  arrivals: number[],
  size: () => 1024 | 2048,
): ArrivalTrace {
  arrivals.sort((a, b) => a - b);
  return { name, description, jobs: arrivals.map((arrival) => ({ arrival, size: size() })) };
}

function poisson(
  random: SeededRandom,
  out: number[],
  from: number,
  to: number,
  rate: () => number,
): void {
  for (let t = from + random.exponential(rate()); t < to; t += random.exponential(rate()))
    out.push(t);
}

/** Non-homogeneous Poisson process by thinning (Lewis and Shedler). */
function poissonThinned(
  random: SeededRandom,
  out: number[],
  to: number,
  maxRate: number,
  rate: (t: number) => number,
): void {
  for (let t = random.exponential(maxRate); t < to; t += random.exponential(maxRate)) {
    if (random.next() < rate(t) / maxRate) out.push(t);
  }
}
