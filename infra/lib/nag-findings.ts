import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges individual findings of a granular cdk-nag rule (IAM5 reports one finding per
 * wildcard, `AwsSolutions-IAM5[Resource::...]`), so each wildcard is accepted on its own with its
 * reason and a new wildcard still fails the synth.
 */
export function acknowledgeFindings(
  scope: IConstruct,
  rule: string,
  findings: readonly string[],
  reason: string,
): void {
  Validations.of(scope).acknowledge(
    ...findings.map((finding) => ({ id: `${rule}[${finding}]`, reason })),
  );
}

/** How cdk-nag spells `Fn::GetAtt [resource, attribute]` inside a finding: `<LogicalId.Attribute>`. */
export function getAttFinding(resource: CfnResource, attribute: string): string {
  return `<${Stack.of(resource).getLogicalId(resource)}.${attribute}>`;
}

/** How cdk-nag spells `Ref resource` inside a finding: `<LogicalId>`. */
export function refFinding(resource: CfnResource): string {
  return `<${Stack.of(resource).getLogicalId(resource)}>`;
}
