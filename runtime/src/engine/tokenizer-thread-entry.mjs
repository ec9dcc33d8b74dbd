// Plain-JS entry of the tokenizer thread; registers tsx for the same reason as
// inference-thread-entry.mjs (Node 20 does not pass `--import` loaders to worker threads).
import { register } from 'tsx/esm/api';

register();
await import('./tokenizer-thread-main.ts');
