import type { PipelineRequest, PipelineResult } from '#runtime/pipeline/pipeline-types.ts';
import type { Engine } from './engine.ts';
import type { AbortReason, JobAbort } from './job-abort.ts';
import type { ProgressReporter } from './progress-reporter.ts';

export type EditRun =
  | { readonly done: true; readonly result: PipelineResult; readonly inferenceMs: number }
  | { readonly done: false; readonly reason: AbortReason };

/**
 * Runs one edit on the engine (off the event loop: the engine's own thread) while the reporter
 * writes its progress. It settles when the engine finishes or when the run is aborted, whichever
 * comes first: an abort does not wait for the engine to reach its next step (the engine stops there
 * on its own, having seen the signal), so a drain deadline or a lost lease is acted on at once.
 * A result that arrives after the abort is dropped.
 * @throws whatever the engine throws when it fails before any abort.
 */
export async function runEdit(
  engine: Engine,
  request: PipelineRequest,
  control: { readonly abort: JobAbort; readonly reporter: ProgressReporter },
): Promise<EditRun> {
  const started = performance.now();
  const edit = engine.edit(request, {
    onProgress: (event) => control.reporter.report(event),
    signal: control.abort.signal,
  });
  // Once aborted, nobody awaits `edit` any more; its CanceledError must not go unhandled.
  void edit.catch(settledAfterAbort);
  try {
    const first = await Promise.race([
      edit.then((result) => ({ done: true as const, result })),
      control.abort.aborted().then((reason) => ({ done: false as const, reason })),
    ]);
    if (!first.done) return first;
    return { done: true, result: first.result, inferenceMs: performance.now() - started };
  } catch (error) {
    // The engine's CanceledError may beat the abort notification; the abort is the real story.
    const reason = control.abort.reason;
    if (reason !== undefined) return { done: false, reason };
    throw error;
  } finally {
    await control.reporter.stop();
  }
}

/** The engine's late answer to an aborted run: already accounted for by the abort. */
function settledAfterAbort(): undefined {
  return undefined;
}
