import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { GraphName } from '#runtime/bundle/graph-contract.ts';
import { type LoadedResources, loadPipelineResources } from '#runtime/engine/pipeline-resources.ts';
import type { Feeds, GraphRunner, HostTensor } from '#runtime/pipeline/graph-runner.ts';
import type { PipelineResources } from '#runtime/pipeline/pipeline-types.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';

export const SAMPLE_PHOTO = fileURLToPath(
  new URL('../../../test/fixtures/sample/photo.jpg', import.meta.url),
);

export function readSamplePhoto(): Promise<Uint8Array> {
  return readFile(SAMPLE_PHOTO);
}

/** Loads a tiny bundle's resources in-process (no worker thread) on the CPU provider. */
export async function tinyResources(
  precision: 'float32' | 'float16',
  cfgDistilled = false,
): Promise<LoadedResources> {
  const bundleDir = await ensureTinyBundle({ precision, cfgDistilled });
  return loadPipelineResources({ bundleDir, provider: { name: 'cpu' }, intraOpThreads: 1 });
}

export interface RecordedRun {
  readonly graph: GraphName;
  readonly feeds: Feeds;
}

/** Wraps the resources' runner so a test can see every graph run and its feeds. */
export function recordingResources(resources: PipelineResources): {
  resources: PipelineResources;
  runs: RecordedRun[];
} {
  const runs: RecordedRun[] = [];
  const graphs: GraphRunner = {
    run: (graph: GraphName, feeds: Feeds): Promise<Record<string, HostTensor>> => {
      // Feed buffers are reused from step to step, so keep a copy of what this run saw.
      const snapshot = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => [name, { ...t, data: t.data.slice() }]),
      );
      runs.push({ graph, feeds: snapshot });
      return resources.graphs.run(graph, feeds);
    },
  };
  return { resources: { ...resources, graphs }, runs };
}
