import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Where a Lambda's TypeScript entry lives and how esbuild resolves it. */
export interface LambdaSource {
  /** Absolute path of the entry file; it must export `handler`. */
  readonly entry: string;
  /** Repository root: package.json (with its `#core/*` imports map), tsconfig.json, the lock file. */
  readonly projectRoot: string;
}

export interface NodeLambdaProps extends LambdaSource {
  readonly description: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly logRetention: logs.RetentionDays;
  readonly environment: Readonly<Record<string, string>>;
  /** The AWS Parameters and Secrets extension layer (serves Secrets Manager on localhost:2773). */
  readonly paramsAndSecrets?: lambda.ParamsAndSecretsLayerVersion;
}

/**
 * A Node 22 Lambda bundled by esbuild as ESM, with its own log group (retention set) and its own
 * role that may write only to that log group, instead of the AWSLambdaBasicExecutionRole managed
 * policy (which grants logs on every group). The AWS SDK is bundled so the pinned versions run.
 */
export function createNodeLambda(
  scope: Construct,
  id: string,
  props: NodeLambdaProps,
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${props.description}`,
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    description: props.description,
    entry: props.entry,
    handler: 'handler',
    projectRoot: props.projectRoot,
    depsLockFilePath: `${props.projectRoot}/package-lock.json`,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memoryMiB,
    timeout: Duration.seconds(props.timeoutSeconds),
    role,
    logGroup,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    ...(props.paramsAndSecrets === undefined ? {} : { paramsAndSecrets: props.paramsAndSecrets }),
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      bundleAwsSDK: true,
      tsconfig: `${props.projectRoot}/tsconfig.json`,
      // CommonJS dependencies bundled into ESM still call require().
      banner:
        "import { createRequire as __vibeCreateRequire } from 'node:module'; const require = __vibeCreateRequire(import.meta.url);",
    },
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      "Node 22 is the project's runtime line (the worker image runs Node 22 too; supported until 2027-04-30); move both to Node 24 together.",
  });
  return fn;
}
