import type { ModelInfo } from '#runtime/worker/engine.ts';
import type { LocalKey } from './local-key.ts';

export interface ReadyInfo {
  readonly url: string;
  readonly dataDir: string;
  readonly model: ModelInfo;
  readonly bundleDir: string | undefined;
  readonly lanes: readonly string[];
  readonly graceSeconds: number;
  /** Local mode's key when API keys are required; undefined when they are disabled. */
  readonly apiKey: LocalKey | undefined;
  /** Whether the server serves the playground page at `/playground`. */
  readonly playground: boolean;
}

/** The sample image the README uses (a synthetic drawing, 640×480). */
export const SAMPLE_IMAGE = 'test/fixtures/sample/photo.jpg';

/**
 * What `npm start` prints once the API listens and the worker polls: where things are, the
 * commands to try, and, on the tiny test bundle, a warning nobody can miss.
 */
export function readyBanner(info: ReadyInfo): string {
  const api = info.url;
  const key = info.apiKey;
  const auth = key === undefined ? '' : ' -H "authorization: Bearer $KEY"';
  const lines = [
    '',
    'VIBE local mode is running',
    `  API      ${api}`,
    `  data     ${info.dataDir}  (bucket/: images and job records; queues/: lanes and events)`,
    `  model    ${info.model.name} ${info.model.version}${info.bundleDir === undefined ? '' : `  (${info.bundleDir})`}`,
    `  worker   one job at a time, lanes ${info.lanes.join(', ')}`,
  ];
  if (key !== undefined) {
    lines.push(
      key.token === undefined
        ? '  API key  required (Authorization: Bearer vibe_...): use one of your keys as $KEY'
        : `  API key  ${key.created ? 'created' : 'saved'} in ${key.path} (every /v1 call needs it)`,
    );
  }
  if (info.playground) lines.push(`  browser  ${api}/playground`);
  lines.push('');
  if (info.model.synthetic) {
    const bar = '!'.repeat(78);
    lines.push(
      bar,
      '!! TINY TEST BUNDLE: every output is a blocky, tinted copy of the input, NOT a real edit.',
      '!! Every job says "model": { "synthetic": true }. For real edits set VIBE_BUNDLE_DIR to an',
      '!! exported VIBE bundle (docs/local-mode.md).',
      bar,
      '',
    );
  }
  lines.push(
    'Try it:',
    `  npm run try-edit -- ${SAMPLE_IMAGE} "make it winter"`,
    '',
    'or with curl (and jq):',
    ...(key?.token === undefined ? [] : [`  KEY=$(cat ${key.path})`]),
    `  curl -s ${api}/healthz`,
    `  id=$(curl -s${auth} ${api}/v1/edits -F image=@${SAMPLE_IMAGE} -F instruction='make it winter' | jq -r .id)`,
    `  curl -s${auth} ${api}/v1/edits/$id | jq '{status, progress, error, model}'`,
    `  curl -s -o edited.png "$(curl -s${auth} ${api}/v1/edits/$id | jq -r .output.url)"`,
    '',
    `Stop with Ctrl-C: the running job gets up to ${info.graceSeconds} s to finish (or goes back to the queue);`,
    'queued jobs stay in the data folder and run after the next start. A second Ctrl-C exits at once.',
    '',
  );
  return lines.join('\n');
}
