/**
 * The tokenizer thread: holds the Qwen tokenizer (about 48 MB of JavaScript objects) in its own V8
 * heap and answers one call at a time for a TokenizerThread (tokenizer-thread.ts), which waits
 * for each answer synchronously.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import {
  loadQwenTokenizer,
  type QwenTokenizerPaths,
} from '#runtime/pipeline/text/qwen-tokenizer.ts';
import { serializeError } from './thread-messages.ts';
import type { TokenizerCall, TokenizerThreadData } from './tokenizer-thread.ts';

const { paths, signal, port } = workerData as TokenizerThreadData & {
  readonly paths: QwenTokenizerPaths;
  readonly port: MessagePort;
};

try {
  const tokenizer = await loadQwenTokenizer(paths);
  port.on('message', (call: TokenizerCall) => {
    try {
      const result =
        call.method === 'encode'
          ? tokenizer.encode(call.text)
          : call.method === 'renderChat'
            ? tokenizer.renderChat(call.messages)
            : tokenizer.tokenId(call.token);
      port.postMessage({ result });
    } catch (error) {
      port.postMessage({ error: serializeError(error) });
    } finally {
      // The answer is queued on the caller's port before the caller wakes up to read it.
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    }
  });
  parentPort?.postMessage({ type: 'ready' });
} catch (error) {
  parentPort?.postMessage({ type: 'failed', error: serializeError(error) });
}
