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

/** Local mode's data folder when VIBE_DATA_DIR is unset. */
export const DEFAULT_DATA_DIR = '.vibe-data';

/** Local mode: the data folder (the app config and the keys CLI). */
export const dataDirVar = stringVar(
  ENV.dataDir,
  { expected: 'a folder path', test: () => true },
  { default: DEFAULT_DATA_DIR },
);

/** A REST API id (10 lowercase alphanumerics) and a stage name, as API Gateway spells them. */
const API_GATEWAY_STAGE = /^[a-z0-9]{10}\/[A-Za-z0-9_]{1,128}$/;

/** The API Lambda and the keys CLI: where the usage plans are (docs/keys-and-limits.md). */
export const apiGatewayStageVar = stringVar(
  ENV.apiGatewayStage,
  {
    expected: '<restApiId>/<stage>, e.g. a1b2c3d4e5/prod',
    test: (v) => API_GATEWAY_STAGE.test(v),
  },
  'optional',
);

export interface ApiGatewayStage {
  readonly restApiId: string;
  readonly stage: string;
}

/** A value apiGatewayStageVar accepted, split; undefined stays undefined. */
export function parseApiGatewayStage(value: string | undefined): ApiGatewayStage | undefined {
  if (value === undefined) return undefined;
  const [restApiId = '', stage = ''] = value.split('/');
  return { restApiId, stage };
}
