/**
 * A one-line progress bar on stderr. On a terminal it redraws in place; elsewhere (CI logs, pipes)
 * it prints one line per tenth of the work so logs stay readable.
 */
export class ProgressBar {
  private lastDecile = -1;
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(done: number, total: number): void {
    const fraction = total === 0 ? 1 : Math.min(1, done / total);
    const elapsed = (performance.now() - this.started) / 1000;
    const perItem = done > 0 ? elapsed / done : 0;
    const eta = perItem * (total - done);
    const text = `${this.label} ${bar(fraction, this.width)} ${done}/${total} ${elapsed.toFixed(1)}s${done < total ? ` eta ${eta.toFixed(1)}s` : ''}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${text}\x1b[K${done >= total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(`${text}\n`);
    }
  }
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
