import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helpers/test-app.ts';

let outdir: string;
let built: ReturnType<typeof buildTestApp>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'vibe-nag-'));
  // As `cdk synth` does it: cdk-nag on, esbuild bundling on, the worker image staged from the repository.
  built = buildTestApp({
    nag: true,
    repositoryImage: true,
    outdir,
    context: { 'aws:cdk:bundling-stacks': ['**'] },
  });
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

/** Every cdk-nag acknowledgment in the app: `<path> <rule id with finding>` -> reason. */
function acknowledgments(app: App): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // `AwsSolutions::AwsSolutions-IAM5[Resource::...]`; CDK's own acknowledgments use other ids.
        const rule = /^(?:[A-Za-z]+::)?(AwsSolutions-.*)$/.exec(id)?.[1];
        if (rule !== undefined) found.set(`${construct.node.path} ${rule}`, reason);
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('passes on the whole app, with bundling and the worker image staged', () => {
    const assembly = built.app.synth();

    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(
      report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
    expect(assembly.stacks.map((s) => s.stackName)).toEqual(['VibeEditService']);
  });

  it('has a written reason for every acknowledged rule, and only the reviewed rules', () => {
    const acks = acknowledgments(built.app);
    for (const [id, reason] of acks) {
      expect(reason.length, `reason of ${id}`).toBeGreaterThanOrEqual(40);
    }
    const rules = [
      ...new Set([...acks.keys()].map((key) => key.split(' ')[1]?.replace(/\[.*$/, ''))),
    ].sort();
    expect(rules).toEqual([
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-APIG6',
      'AwsSolutions-AS3',
      'AwsSolutions-COG4',
      'AwsSolutions-EC26',
      'AwsSolutions-ECS2',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SNS2',
    ]);
    // IAM5 is acknowledged finding by finding, never as a whole rule.
    expect([...acks.keys()].filter((key) => key.endsWith(' AwsSolutions-IAM5'))).toEqual([]);
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Bare'), 'NoDeadLetterQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });

  it('bundles both Lambdas with esbuild and stages only the files the worker image needs', () => {
    const assets = JSON.parse(
      readFileSync(join(outdir, 'VibeEditService.assets.json'), 'utf8'),
    ) as {
      files: Record<string, { source: { path: string } }>;
      dockerImages: Record<string, { source: { directory: string; dockerFile: string } }>;
    };
    const bundles = Object.values(assets.files)
      .map((f) => f.source.path)
      .filter((path) => path.startsWith('asset.'))
      .filter((path) =>
        readdirSync(join(outdir, path), { withFileTypes: true }).some(
          (e) => e.name === 'index.mjs',
        ),
      );
    expect(bundles.length).toBeGreaterThanOrEqual(1);

    const image = Object.values(assets.dockerImages);
    expect(image).toHaveLength(1);
    const context = join(outdir, image[0]?.source.directory ?? '');
    expect(image[0]?.source.dockerFile).toBe('runtime/Dockerfile');
    expect(readdirSync(context).sort()).toEqual([
      'core',
      'package-lock.json',
      'package.json',
      'runtime',
      'tsconfig.json',
    ]);
    expect(readdirSync(join(context, 'runtime')).sort()).toEqual(['Dockerfile', 'docker', 'src']);
    expect(readdirSync(join(context, 'core'))).toEqual(['src']);
  });
});
