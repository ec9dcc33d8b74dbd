import { ENV } from './env-names.ts';
import { stringVar, urlVar } from './env-vars.ts';

/**
 * Variables that more than one entry point reads (the app config in parse-config.ts, and the
 * webhook Lambda's own smaller config), declared once so their rules cannot drift apart.
 */
export const SHARED_AWS_VARS = {
  [ENV.bucket]: stringVar(
    ENV.bucket,
    { expected: 'an S3 bucket name', test: (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) },
    'required',
  ),
  [ENV.awsRegion]: stringVar(
    ENV.awsRegion,
    { expected: 'an AWS region such as us-east-1', test: (v) => /^[a-z]{2}(-[a-z]+)+-\d$/.test(v) },
    'optional',
  ),
  [ENV.awsEndpointUrl]: urlVar(ENV.awsEndpointUrl, ['http', 'https'], 'optional'),
  [ENV.webhookSecretArn]: stringVar(
    ENV.webhookSecretArn,
    { expected: 'a Secrets Manager ARN', test: (v) => v.startsWith('arn:aws') },
    'optional',
  ),
} as const;

/** Several, space-separated, newest first, while a rotation is under way (both sign). */
export const webhookSecretVar = stringVar(
  ENV.webhookSecret,
  {
    expected: 'one or more space-separated "whsec_" secrets',
    test: (v) => /^whsec_[A-Za-z0-9+/=]{16,}( +whsec_[A-Za-z0-9+/=]{16,})*$/.test(v),
  },
  'optional',
);
