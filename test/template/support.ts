import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_CONFIG, type WlmConfigInput } from '../../contracts/config';
import { AthenaWlmStack, type AthenaWlmStackProps } from '../../lib/athena-wlm-stack';

/** The app context of cdk.json (feature flags), so tests synthesize what `cdk synth` does. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** A fresh app that does not bundle the functions (template tests need no code assets). */
export function testApp(): App {
  return new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
}

export interface Synthesized {
  readonly stack: AthenaWlmStack;
  readonly template: Template;
}

/** Synthesizes one AthenaWlmStack; call once per file (in beforeAll), it takes seconds. */
export function synthesize(props: AthenaWlmStackProps = {}, id = 'Test'): Synthesized {
  const stack = new AthenaWlmStack(testApp(), id, props);
  return { stack, template: Template.fromStack(stack) };
}

/** The default config with changes to some classes (`undefined` removes a class). */
export function configWith(changes: Partial<WlmConfigInput> = {}): WlmConfigInput {
  return { ...DEFAULT_CONFIG, ...changes };
}

type Json = Record<string, unknown>;

/** Resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Json> {
  return template.findResources(type) as Record<string, Json>;
}

/** Properties of the only resource of a type whose logical id contains `idPart`. */
export function propertiesOf(template: Template, type: string, idPart: string): Json {
  const matches = Object.entries(resourcesOf(template, type)).filter(([id]) => id.includes(idPart));
  if (matches.length !== 1) {
    throw new Error(
      `expected one ${type} with '${idPart}' in its id, found ${matches.map(([id]) => id).join(', ')}`,
    );
  }
  return (matches[0][1].Properties ?? {}) as Json;
}

/** Logical id of a construct's CloudFormation resource. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** Policy statements (Statement arrays flattened) of every AWS::IAM::Policy whose logical id contains `idPart`. */
export function statementsOf(template: Template, idPart: string, type = 'AWS::IAM::Policy'): Json[] {
  return Object.entries(resourcesOf(template, type))
    .filter(([id]) => id.includes(idPart))
    .flatMap(([, resource]) => {
      const props = resource.Properties as { PolicyDocument: { Statement: Json[] } };
      return props.PolicyDocument.Statement;
    });
}

/** Statements of every inline policy (AWS::IAM::Policy) attached to a role, by the role's logical id. */
export function statementsForRole(template: Template, roleLogicalId: string): Json[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((resource) => {
      const roles = ((resource.Properties as Json).Roles ?? []) as unknown[];
      return roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }));
    })
    .flatMap(
      (resource) =>
        (resource.Properties as { PolicyDocument: { Statement: Json[] } }).PolicyDocument.Statement,
    );
}

/** A statement's actions as an array. */
export function actionsOf(statement: Json): string[] {
  const action = statement.Action as string | string[];
  return Array.isArray(action) ? action : [action];
}

/** A statement's resources as an array. */
export function resourcesOfStatement(statement: Json): unknown[] {
  const resource = statement.Resource as unknown;
  return Array.isArray(resource) ? resource : [resource];
}

/**
 * The string a CloudFormation value evaluates to, given values for the references it makes (`Ref` by
 * logical id or pseudo parameter, `Fn::GetAtt` as `<logicalId>.<attribute>`). Handles Fn::Join,
 * Fn::Select and Fn::Split; a reference without a given value throws, so a test sees what it depends on.
 */
export function evaluate(value: unknown, refs: Readonly<Record<string, string>>): string {
  const lookup = (name: string) => {
    if (!(name in refs)) throw new Error(`no value given for reference ${name}`);
    return refs[name];
  };
  if (typeof value === 'string') return value;
  const fn = value as Record<string, unknown>;
  if ('Ref' in fn) return lookup(fn.Ref as string);
  if ('Fn::GetAtt' in fn) return lookup((fn['Fn::GetAtt'] as string[]).join('.'));
  if ('Fn::Join' in fn) {
    const [separator, parts] = fn['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => evaluate(part, refs)).join(separator);
  }
  if ('Fn::Select' in fn) {
    const [index, list] = fn['Fn::Select'] as [number | string, unknown];
    return evaluateList(list, refs)[Number(index)];
  }
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

function evaluateList(value: unknown, refs: Readonly<Record<string, string>>): string[] {
  if (Array.isArray(value)) return value.map((item) => evaluate(item, refs));
  const fn = value as Record<string, unknown>;
  if ('Fn::Split' in fn) {
    const [separator, source] = fn['Fn::Split'] as [string, unknown];
    return evaluate(source, refs).split(separator);
  }
  throw new Error(`cannot evaluate ${JSON.stringify(value)} as a list`);
}

/** Pseudo parameters for {@link evaluate}: partition aws, region eu-west-1, account 123456789012. */
export const SAMPLE_PSEUDO_PARAMETERS = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
} as const;

/** The path (`/queries/{queryId}`) of an AWS::ApiGateway::Method, from its resource up to the API root. */
export function methodPath(template: Template, method: Json): string {
  const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
  const parts: string[] = [];
  let parent = (method.Properties as Json).ResourceId as Json;
  while ('Ref' in parent) {
    const resource = resources[parent.Ref as string].Properties as Json;
    parts.unshift(resource.PathPart as string);
    parent = resource.ParentId as Json;
  }
  return `/${parts.join('/')}`;
}

export { Stack };
