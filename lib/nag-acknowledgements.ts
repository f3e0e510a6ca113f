import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** Acknowledges one cdk-nag finding on the narrowest construct that has it, with the reason. */
export function acknowledgeNag(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges `AwsSolutions-IAM5` for exactly these wildcard resources (ARNs or tokens) on a role or
 * policy. Each resource is flattened the way cdk-nag names its finding, so an acknowledgment never
 * covers a wildcard it does not list.
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flattenCfnReference(stack.resolve(resource));
    acknowledgeNag(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}
