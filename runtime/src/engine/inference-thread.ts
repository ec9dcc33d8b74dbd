/**
 * Entry of the inference thread. onnxruntime-node's `run()` blocks the thread it is called on for
 * the whole graph run (platform-notes §1.6), so the pipeline lives here and the caller's event loop
 * stays free for heartbeats, health checks and signals.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runEditPipeline } from '#runtime/pipeline/edit-pipeline.ts';
import { type LoadedResources, loadPipelineResources } from './pipeline-resources.ts';
import {
  type FromThread,
  serializeError,
  type ThreadInit,
  type ToThread,
} from './thread-messages.ts';

const port = parentPort;
if (port === null) throw new Error('inference-thread.ts must run inside a worker thread');

function send(message: FromThread): void {
  port?.postMessage(message);
}

async function main(init: ThreadInit): Promise<void> {
  let resources: LoadedResources;
  try {
    resources = await loadPipelineResources(init.options);
  } catch (error) {
    send({ type: 'startup-failed', error: serializeError(error) });
    return;
  }
  const { model, precision } = resources.manifest;
  send({
    type: 'ready',
    loadMs: resources.loadMs,
    model: {
      name: model.name,
      version: model.version,
      synthetic: model.synthetic,
      notice: model.notice ?? '',
      precision,
    },
  });

  // Jobs run one at a time: one GPU, one job (DESIGN §7). Messages queue behind the current one.
  let queue = Promise.resolve();
  port?.on('message', (message: ToThread) => {
    if (message.type === 'crash-for-test') {
      // Thrown outside any promise chain, like a bug in a callback: the thread dies with an error.
      setImmediate(() => {
        throw new Error('inference thread crash requested by a test');
      });
      return;
    }
    if (message.type === 'close') {
      queue = queue.then(async () => {
        await resources.release();
        port.close();
      });
      return;
    }
    queue = queue.then(async () => {
      const { jobId, cancelFlag } = message;
      try {
        const result = await runEditPipeline(resources, message.request, {
          onProgress: (progress) => send({ type: 'progress', jobId, progress }),
          isCanceled: () => Atomics.load(cancelFlag, 0) !== 0,
        });
        send({ type: 'result', jobId, result });
      } catch (error) {
        send({ type: 'failed', jobId, error: serializeError(error) });
      }
    });
  });
}

await main(workerData as ThreadInit);
