import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ExecutionProviderError } from '#core/errors.ts';

/** Where the graphs run. `cuda` never falls back to CPU: a missing CUDA stack is a start-up error. */
export type ExecutionProviderName = 'cpu' | 'cuda';

export interface ExecutionProviderConfig {
  readonly name: ExecutionProviderName;
  /** CUDA device ordinal (ignored on CPU). @default 0 */
  readonly deviceId?: number;
}

export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ['cpu', 'cuda'];

/** The shared libraries that onnxruntime-node's CUDA execution provider needs beside its binding. */
const CUDA_PROVIDER_LIBRARIES = [
  'libonnxruntime_providers_shared.so',
  'libonnxruntime_providers_cuda.so',
] as const;

export const CUDA_INSTALL_HINT =
  'Install the CUDA execution provider of onnxruntime-node 1.30.0: run `npm ci` with ' +
  'ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine that reaches the NuGet feed (the worker image does ' +
  'this at build time), and provide the CUDA 12.x runtime (cudart, cuBLAS, cuFFT, cuRAND) and ' +
  'cuDNN 9.x on the library path (e.g. an nvidia/cuda:12.x-cudnn-runtime base image). ' +
  'Or run with --provider cpu.';

export function parseExecutionProvider(value: string): ExecutionProviderConfig {
  const [name, device] = value.split(':');
  if (name !== 'cpu' && name !== 'cuda') {
    throw new ExecutionProviderError(
      `Expected an execution provider of ${EXECUTION_PROVIDERS.join(' or ')} (optionally cuda:<device>) but received ${JSON.stringify(value)}`,
    );
  }
  if (device === undefined) return { name };
  const deviceId = Number(device);
  if (name !== 'cuda' || !Number.isInteger(deviceId) || deviceId < 0) {
    throw new ExecutionProviderError(
      `Expected a device number after "cuda:" (e.g. cuda:0) but received ${JSON.stringify(value)}`,
    );
  }
  return { name, deviceId };
}

/** The folder of onnxruntime-node's native binding for this platform. */
export function ortBindingFolder(): string {
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(dirname(require.resolve('onnxruntime-node')));
  return join(packageRoot, 'bin', 'napi-v6', process.platform, process.arch);
}

/**
 * Fails fast, before any session exists, when CUDA is configured but its provider libraries are
 * absent. ORT would otherwise fail later with a loader message that does not say what to install.
 */
export function assertExecutionProviderAvailable(
  config: ExecutionProviderConfig,
  bindingFolder: string = ortBindingFolder(),
): void {
  if (config.name === 'cpu') return;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ExecutionProviderError(
      `The CUDA execution provider of onnxruntime-node exists only on linux-x64; this is ${process.platform}-${process.arch}. Use --provider cpu.`,
    );
  }
  const missing = CUDA_PROVIDER_LIBRARIES.filter((lib) => !existsSync(join(bindingFolder, lib)));
  if (missing.length > 0) {
    throw new ExecutionProviderError(
      `CUDA was requested but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} missing from ${bindingFolder}. ${CUDA_INSTALL_HINT}`,
      { details: { missing, bindingFolder } },
    );
  }
}
