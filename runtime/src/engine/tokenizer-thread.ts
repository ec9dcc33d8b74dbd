import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { InferenceError } from '#core/errors.ts';
import type {
  ChatMessage,
  QwenTokenizer,
  QwenTokenizerPaths,
} from '#runtime/pipeline/text/qwen-tokenizer.ts';
import { reviveError, type SerializedError } from './thread-messages.ts';

const ENTRY = new URL('./tokenizer-thread-entry.mjs', import.meta.url);

/** One call to the tokenizer thread. */
export type TokenizerCall =
  | { readonly method: 'encode'; readonly text: string }
  | { readonly method: 'renderChat'; readonly messages: readonly ChatMessage[] }
  | { readonly method: 'tokenId'; readonly token: string };

export interface TokenizerThreadData {
  /** 0 while a call is pending; the thread sets 1 once its answer is on the port. */
  readonly signal: Int32Array;
}

type Answer = { readonly result: unknown } | { readonly error: SerializedError };

/** A QwenTokenizer whose tokenizer lives in another thread; close() ends that thread. */
export interface ThreadedTokenizer extends QwenTokenizer {
  close(): Promise<void>;
}

/**
 * Loads the tokenizer in its own worker thread and returns a synchronous proxy to it.
 *
 * Why: the tokenizer is about 48 MB of small JavaScript objects (vocabulary and merges). In the
 * inference thread's heap every full garbage collection, which the large image buffers of each
 * job trigger, had to mark them: measured on one core, that was about half the host time of a
 * 1024² edit (110–139 ms with it, 61–63 ms without). A prompt is one short call, so a blocking
 * round trip (Atomics.wait, then receiveMessageOnPort) costs far less and keeps the pipeline's
 * tokenizer interface synchronous.
 *
 * @throws BundleError as loadQwenTokenizer does, revived from the thread.
 */
export async function startTokenizerThread(
  paths: QwenTokenizerPaths,
  options: { readonly callTimeoutMs?: number } = {},
): Promise<ThreadedTokenizer> {
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(ENTRY, {
    workerData: { paths, signal, port: port2 },
    transferList: [port2],
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => {
      reject(
        new InferenceError(
          `Expected the tokenizer thread to start but it failed: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    worker.once('error', failed);
    worker.once('exit', (code) => failed(new Error(`it exited with code ${code}`)));
    worker.once(
      'message',
      (message: { type: 'ready' } | { type: 'failed'; error: SerializedError }) => {
        worker.removeAllListeners('error');
        worker.removeAllListeners('exit');
        if (message.type === 'ready') resolve();
        else reject(reviveError(message.error));
      },
    );
  });
  // The thread lives as long as the resources that own it, but never holds the process open.
  worker.unref();
  let closed = false;

  const call = (request: TokenizerCall): unknown => {
    if (closed) {
      throw new InferenceError('Expected an open tokenizer thread but it was closed');
    }
    Atomics.store(signal, 0, 0);
    port1.postMessage(request);
    if (Atomics.wait(signal, 0, 0, callTimeoutMs) === 'timed-out') {
      throw new InferenceError(
        `Expected the tokenizer thread to answer ${request.method} within ${callTimeoutMs} ms but it did not`,
      );
    }
    const received = receiveMessageOnPort(port1);
    if (received === undefined) {
      throw new InferenceError(`Expected an answer to ${request.method} from the tokenizer thread`);
    }
    const answer = received.message as Answer;
    if ('error' in answer) throw reviveError(answer.error);
    return answer.result;
  };

  return {
    encode: (text) => call({ method: 'encode', text }) as Int32Array,
    renderChat: (messages) => call({ method: 'renderChat', messages }) as string,
    tokenId: (token) => call({ method: 'tokenId', token }) as number,
    async close() {
      if (closed) return;
      closed = true;
      port1.close();
      await worker.terminate();
    },
  };
}
