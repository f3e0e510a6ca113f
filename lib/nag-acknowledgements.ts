import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges one cdk-nag finding on the narrowest construct that has it, with the reason. */
export function acknowledgeNag(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges `AwsSolutions-IAM5` for exactly these wildcard resources (ARNs or tokens) on a role or
 * policy. Each resource is written the way cdk-nag names the finding, so an acknowledgment never covers
 * a wildcard it does not list (test/template/cdk-nag.test.ts synthesizes with every rule and expects no
 * finding left).
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    acknowledgeNag(scope, `AwsSolutions-IAM5[Resource::${findingName(stack.resolve(resource))}]`, reason);
  }
}

/**
 * A resolved resource as cdk-nag's IAM5 finding names it: `Fn::Join` joined, `Ref` and `Fn::GetAtt` as
 * `<Logical>` and `<Logical.Attribute>`, `Fn::Sub`'s `${X}` as `<X>`, anything else as JSON.
 */
function findingName(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const intrinsic = node as Record<string, unknown>;
  if (intrinsic['Fn::Join']) {
    const [delimiter, items] = intrinsic['Fn::Join'] as [string, unknown[]];
    return items.map(findingName).join(delimiter);
  }
  if (intrinsic['Fn::Sub']) return findingName(intrinsic['Fn::Sub']);
  if (intrinsic['Fn::GetAtt']) {
    const [resource, attribute] = intrinsic['Fn::GetAtt'] as [unknown, unknown];
    return `<${findingName(resource)}.${findingName(attribute)}>`;
  }
  if (intrinsic['Fn::ImportValue']) return findingName(intrinsic['Fn::ImportValue']);
  if (intrinsic.Ref) return `<${findingName(intrinsic.Ref)}>`;
  return JSON.stringify(node);
}
