import { CfnResource, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EditServiceStack } from '../lib/edit-service-stack.ts';
import { buildTestApp } from './helpers/test-app.ts';

/** Asset hashes change with every source edit; the snapshots are about shape, not content. */
const HASH = /[a-f0-9]{64}/g;
expect.addSnapshotSerializer({
  test: (value) => typeof value === 'string' && /[a-f0-9]{64}/.test(value),
  serialize: (value: string) => JSON.stringify(value.replace(HASH, '[HASH]')),
});

let stack: EditServiceStack;
let resources: Record<string, unknown>;

beforeAll(() => {
  const built = buildTestApp();
  stack = built.stack;
  resources = built.template().toJSON().Resources as Record<string, unknown>;
});

/** The template resources created under one top-level construct of the stack. */
function resourcesOf(constructId: string): Record<string, unknown> {
  const construct = stack.node.findChild(constructId);
  const ids = construct.node
    .findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c))
    .map((c) => Stack.of(c).getLogicalId(c))
    .sort();
  expect(ids.length).toBeGreaterThan(0);
  return Object.fromEntries(ids.map((id) => [id, resources[id]]));
}

describe('EditServiceStack constructs', () => {
  it.each([
    'Network',
    'Images',
    'InteractiveQueue',
    'BatchQueue',
    'Webhooks',
    'BatchTasks',
    'Api',
    'Gpu',
    'InteractiveWorkers',
    'BatchWorkers',
    'Monitoring',
  ])('%s matches its snapshot', (constructId) => {
    expect(resourcesOf(constructId)).toMatchSnapshot();
  });
});
