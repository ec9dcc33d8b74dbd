import type { Edit } from '#client/api-types.ts';
import { ProgressBar } from '../progress-bar.ts';

/**
 * Shows an edit's way through the service on stderr: its place in the queue while it waits, then a
 * bar over the denoising steps. On a terminal the queue line redraws in place; elsewhere a line is
 * printed when the position changes, and the bar prints one line per tenth.
 */
export class EditProgress {
  readonly #stream: NodeJS.WriteStream;
  #lastQueueText = '';
  #bar: ProgressBar | undefined;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
  }

  update(edit: Edit): void {
    if (edit.status === 'queued') {
      const position = edit.queue?.position;
      const text =
        position === undefined
          ? `queued in the ${edit.lane} lane, waiting for a worker`
          : `queued in the ${edit.lane} lane: position ${position} of ${edit.queue?.waiting ?? position}`;
      if (text === this.#lastQueueText) return;
      this.#lastQueueText = text;
      this.#stream.write(this.#stream.isTTY ? `\r${text}\x1b[K` : `${text}\n`);
      return;
    }
    if (edit.status === 'running' && edit.progress !== null) {
      if (this.#bar === undefined) {
        if (this.#stream.isTTY && this.#lastQueueText !== '') this.#stream.write('\n');
        this.#bar = new ProgressBar('denoising', this.#stream);
      }
      this.#bar.update(edit.progress.step, edit.progress.steps);
      return;
    }
    if (edit.status === 'succeeded' && edit.progress !== null && this.#bar !== undefined) {
      this.#bar.update(edit.progress.steps, edit.progress.steps);
    }
  }
}
