// Plain-JS entry of the inference thread. Node 20 does not apply `--import` loaders from execArgv
// to worker threads, so the thread registers tsx itself before loading the TypeScript entry.
// (A build that compiles to JavaScript can point the Worker at inference-thread.js directly.)
import { register } from 'tsx/esm/api';

register();
await import('./inference-thread.ts');
