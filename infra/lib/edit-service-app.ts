import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, IgnoreMode, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { overridesFromContext } from './context-overrides.ts';
import { EditServiceStack } from './edit-service-stack.ts';
import { resolveSettings } from './service-settings.ts';
import { settingsError } from './settings-error.ts';

/** Context key naming a pushed worker image, `<ecr-repository>:<tag>`, instead of building one. */
export const WORKER_IMAGE_CONTEXT_KEY = 'workerImage';

/**
 * Files of the repository the worker image is built from (Docker ignore syntax, everything else
 * excluded), so staging the asset does not copy node_modules or test fixtures.
 */
export const WORKER_IMAGE_CONTEXT_FILES = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!core',
  '!runtime',
  'core/*',
  '!core/src',
  'runtime/*',
  '!runtime/src',
  '!runtime/docker',
  '!runtime/Dockerfile',
];

/** How the worker image is obtained. */
export type WorkerImageSource =
  /** Built by `cdk deploy` (Docker needed then, not at synth) from a directory and Dockerfile. */
  | {
      readonly kind: 'asset';
      readonly directory: string;
      readonly file: string;
      readonly exclude: readonly string[];
    }
  /** A pushed image in an ECR repository of the stack's account and region. */
  | { readonly kind: 'ecr'; readonly repositoryName: string; readonly tag: string };

export interface EditServiceAppOptions {
  /** Repository root (package.json, cdk.json, functions/, runtime/). */
  readonly projectRoot: string;
  /** Extra context (tests); the CLI's context and cdk.json take precedence. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** @default `<root>/functions/src/handlers/api.ts` */
  readonly apiEntry?: string;
  /** @default `<root>/functions/src/handlers/authorizer.ts` */
  readonly authorizerEntry?: string;
  /** @default `<root>/functions/src/handlers/webhook-delivery.ts` */
  readonly webhookEntry?: string;
  /** @default `<root>/functions/src/handlers/batch-tasks.ts` */
  readonly batchTasksEntry?: string;
  /** @default from context `workerImage`, else an asset of runtime/Dockerfile */
  readonly workerImage?: WorkerImageSource;
  /** Add cdk-nag's AWS Solutions checks (synth fails on an unacknowledged finding). @default true */
  readonly nag?: boolean;
  /** @default 'VibeEditService' */
  readonly stackName?: string;
  /** Cloud assembly folder. @default the CLI's, or a temporary folder */
  readonly outdir?: string;
}

/**
 * Builds the CDK app: feature flags from cdk.json, settings from context, the stack, cdk-nag.
 * bin/app.ts and the tests both go through here, so what the tests check is what deploys.
 */
export function createEditServiceApp(options: EditServiceAppOptions): {
  app: App;
  stack: EditServiceStack;
} {
  const root = options.projectRoot;
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const app = new App({
    context: { ...cdkJson.context, ...options.context },
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
  });
  const context = app.node.getAllContext() as Record<string, unknown>;
  const settings = resolveSettings(overridesFromContext(context));
  const imageSource = options.workerImage ?? workerImageFromContext(context, root);
  const stack = new EditServiceStack(app, options.stackName ?? 'VibeEditService', {
    description: 'VIBE instruction-based image editing: API, queues, GPU workers on ECS',
    settings,
    apiSource: {
      entry: options.apiEntry ?? join(root, 'functions/src/handlers/api.ts'),
      projectRoot: root,
    },
    authorizerSource: {
      entry: options.authorizerEntry ?? join(root, 'functions/src/handlers/authorizer.ts'),
      projectRoot: root,
    },
    webhookSource: {
      entry: options.webhookEntry ?? join(root, 'functions/src/handlers/webhook-delivery.ts'),
      projectRoot: root,
    },
    batchTasksSource: {
      entry: options.batchTasksEntry ?? join(root, 'functions/src/handlers/batch-tasks.ts'),
      projectRoot: root,
    },
    workerImage: (scope) => containerImage(scope, imageSource),
  });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { app, stack };
}

function workerImageFromContext(
  context: Readonly<Record<string, unknown>>,
  root: string,
): WorkerImageSource {
  const value = context[WORKER_IMAGE_CONTEXT_KEY];
  if (value === undefined) {
    return {
      kind: 'asset',
      directory: root,
      file: 'runtime/Dockerfile',
      exclude: WORKER_IMAGE_CONTEXT_FILES,
    };
  }
  const match =
    typeof value === 'string' ? /^([a-z0-9._/-]+):([A-Za-z0-9._-]{1,128})$/.exec(value) : null;
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw settingsError(WORKER_IMAGE_CONTEXT_KEY, 'expected "<ecr-repository>:<tag>"', value);
  }
  return { kind: 'ecr', repositoryName: match[1], tag: match[2] };
}

function containerImage(scope: Construct, source: WorkerImageSource): ecs.ContainerImage {
  if (source.kind === 'ecr') {
    const repository = ecr.Repository.fromRepositoryName(
      scope,
      'WorkerRepository',
      source.repositoryName,
    );
    return ecs.ContainerImage.fromEcrRepository(repository, source.tag);
  }
  return ecs.ContainerImage.fromAsset(source.directory, {
    file: source.file,
    exclude: [...source.exclude],
    ignoreMode: IgnoreMode.DOCKER,
    platform: Platform.LINUX_AMD64,
  });
}
