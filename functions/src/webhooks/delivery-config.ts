import { z } from 'zod';
import { ENV } from '#core/config/env-names.ts';
import { choiceVar, urlVar } from '#core/config/env-vars.ts';
import { invalidConfiguration } from '#core/config/invalid-configuration.ts';
import { SHARED_AWS_VARS, webhookSecretVar } from '#core/config/shared-vars.ts';

/**
 * The webhook Lambda's configuration. The stack sets fewer variables on it than on the API (no
 * lane queues), so it does not go through core's parseConfig: only what delivery needs is read.
 */
export interface DeliveryConfig {
  readonly bucket: string;
  readonly eventsQueueUrl: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  /** Exactly one of the two is set: the ARN in AWS, the value itself against an emulator. */
  readonly secretArn: string | undefined;
  readonly secret: string | undefined;
}

const schema = z.object({
  [ENV.mode]: choiceVar(ENV.mode, ['aws'] as const, 'required'),
  ...SHARED_AWS_VARS,
  [ENV.eventsQueueUrl]: urlVar(ENV.eventsQueueUrl, ['https', 'http'], 'required'),
  [ENV.webhookSecret]: webhookSecretVar,
});

/**
 * @throws ConfigError listing every problem (including neither or both secret variables).
 */
export function parseDeliveryConfig(
  env: Readonly<Record<string, string | undefined>>,
): DeliveryConfig {
  const result = schema.safeParse(env);
  const issues = result.success ? [] : result.error.issues.map((issue) => issue.message);
  if (result.success) {
    const arn = result.data[ENV.webhookSecretArn];
    const secret = result.data[ENV.webhookSecret];
    if ((arn === undefined) === (secret === undefined)) {
      issues.push(
        `Expected exactly one of ${ENV.webhookSecretArn} (in AWS) or ${ENV.webhookSecret} but received ${arn === undefined ? 'neither' : 'both'}`,
      );
    }
  }
  if (!result.success || issues.length > 0) {
    throw invalidConfiguration('webhook delivery configuration', issues);
  }
  const data = result.data;
  return {
    bucket: data[ENV.bucket],
    eventsQueueUrl: data[ENV.eventsQueueUrl],
    region: data[ENV.awsRegion],
    endpoint: data[ENV.awsEndpointUrl],
    secretArn: data[ENV.webhookSecretArn],
    secret: data[ENV.webhookSecret],
  };
}
