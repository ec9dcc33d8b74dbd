import type { StageTimings } from '#runtime/pipeline/stage-clock.ts';

/** Prints the per-stage timings table of one job to stderr. */
export function printTimings(timings: StageTimings, loadMs?: number): void {
  const rows: [string, number][] = Object.entries(timings.stages);
  const lines = ['timings (ms):'];
  if (loadMs !== undefined)
    lines.push(`  ${'model load (once)'.padEnd(22)} ${loadMs.toFixed(1).padStart(9)}`);
  for (const [stage, ms] of rows) lines.push(`  ${stage.padEnd(22)} ${ms.toFixed(1).padStart(9)}`);
  lines.push(`  ${'graph runs'.padEnd(22)} ${timings.graphMs.toFixed(1).padStart(9)}`);
  lines.push(`  ${'host (all but graphs)'.padEnd(22)} ${timings.hostMs.toFixed(1).padStart(9)}`);
  lines.push(`  ${'total'.padEnd(22)} ${timings.totalMs.toFixed(1).padStart(9)}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** The loud notice for tiny test bundles: their output is not a real edit. */
export function syntheticBanner(name: string, notice: string): string {
  const line = '!'.repeat(78);
  return `${line}\n!! TINY TEST BUNDLE "${name}": the output is NOT a real edit.\n!! ${notice}\n${line}\n`;
}

/** The one-line reminder printed after a tiny bundle's run. */
export function syntheticReminder(name: string): string {
  return `!! reminder: "${name}" is a tiny test bundle; this output is NOT a real edit.\n`;
}
