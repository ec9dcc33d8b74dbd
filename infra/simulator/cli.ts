import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { overridesFromContext } from '../lib/context-overrides.ts';
import { resolveSettings } from '../lib/service-settings.ts';
import { runScalingStudy, studyMarkdown } from './scaling-study.ts';
import { DEFAULT_SIMULATION_PARAMS } from './simulation-params.ts';

/**
 * Prints the scaling study as Markdown. Settings are the stack's: cdk.json's context, then
 * `-c key=value` overrides in the same form as `cdk deploy -c` (e.g. `-c vibe.lanes.batch.maxTasks=64`).
 *
 *   node --import tsx infra/simulator/cli.ts [--seed 7] [-c vibe.lanes.interactive.minTasks=2]
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    context: { type: 'string', short: 'c', multiple: true, default: [] },
    cdkJson: { type: 'string', default: 'cdk.json' },
  },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  throw new Error(`Expected --seed to be an integer but received ${values.seed}`);
}
const cdkJson = JSON.parse(readFileSync(values.cdkJson, 'utf8')) as {
  context?: Record<string, unknown>;
};
const context: Record<string, unknown> = { ...cdkJson.context };
for (const pair of values.context) {
  const at = pair.indexOf('=');
  if (at <= 0) throw new Error(`Expected -c key=value but received ${pair}`);
  context[pair.slice(0, at)] = pair.slice(at + 1);
}
const settings = resolveSettings(overridesFromContext(context));
const params = { ...DEFAULT_SIMULATION_PARAMS, bundleBytes: settings.model.bundleBytes };
const started = performance.now();
const study = runScalingStudy(settings, params, seed);
process.stdout.write(`${studyMarkdown(study, settings, params)}\n`);
process.stderr.write(`simulated in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
