import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { createEditServiceApp, type EditServiceAppOptions } from '../../lib/edit-service-app.ts';

/** Repository root (cdk.json, package.json). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** Stand-in Lambda entry: infra tests never depend on functions/ being written. */
export const FIXTURE_HANDLER = `${FIXTURES}handlers/handler.ts`;

/**
 * The production app factory with fixture entries, a tiny fixture worker image (unless
 * `repositoryImage`) and bundling skipped (unless the context asks): what the tests check is what
 * `cdk synth` builds.
 */
export function buildTestApp(
  overrides: Partial<EditServiceAppOptions> & { readonly repositoryImage?: boolean } = {},
) {
  const { context, repositoryImage, ...rest } = overrides;
  const fixtureImage = {
    kind: 'asset',
    directory: `${FIXTURES}worker-image`,
    file: 'Dockerfile',
    exclude: [],
  } as const;
  const result = createEditServiceApp({
    projectRoot: PROJECT_ROOT,
    apiEntry: FIXTURE_HANDLER,
    authorizerEntry: FIXTURE_HANDLER,
    webhookEntry: FIXTURE_HANDLER,
    batchTasksEntry: FIXTURE_HANDLER,
    nag: false,
    ...(repositoryImage === true ? {} : { workerImage: fixtureImage }),
    ...rest,
    context: { 'aws:cdk:bundling-stacks': [], ...context },
  });
  return { ...result, template: () => Template.fromStack(result.stack) };
}
