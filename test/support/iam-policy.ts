/**
 * Evaluates the policy documents of a synthesized template for one request, as IAM's policy evaluation
 * logic does within one account: an explicit Deny wins, otherwise some Allow must match. Actions and
 * resources match with `*` and `?` wildcards (case-insensitive for actions); the condition operators the
 * stack uses are modelled (StringEquals, StringLike, ArnLike, ArnEquals, Bool, NumericLessThanEquals) and
 * any other throws, so a test never passes on a condition it did not check.
 */
import { evaluate, SAMPLE_PSEUDO_PARAMETERS } from '../template/support';

type Json = Record<string, unknown>;

export interface PolicyRequest {
  /** `{ service: 'cloudwatch.amazonaws.com' }` or `{ aws: 'arn:aws:iam::123456789012:role/x' }`; omit for identity policies. */
  readonly principal?: { readonly service?: string; readonly aws?: string };
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (`aws:SecureTransport`: 'true', `aws:SourceArn`, `s3:prefix`). */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'allowed' | 'denied' | 'not allowed';

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function principalMatches(principal: unknown, request: PolicyRequest): boolean {
  if (principal === undefined) return true; // identity policies name no principal
  if (principal === '*') return true;
  const p = principal as { Service?: string | string[]; AWS?: string | string[] };
  // `{"AWS": "*"}` is everyone, as `"*"` is.
  if (asList(p.AWS).includes('*')) return true;
  if (request.principal?.service) return asList(p.Service).includes(request.principal.service);
  return asList(p.AWS).some((a) => a === request.principal?.aws);
}

function conditionsMatch(conditions: Json | undefined, context: Readonly<Record<string, string>>): boolean {
  for (const [operator, entries] of Object.entries(conditions ?? {})) {
    for (const [key, expected] of Object.entries(entries as Json)) {
      const actual = context[key];
      const values = asList(expected as string | string[]).map(String);
      if (actual === undefined) return false;
      const test: Record<string, (v: string) => boolean> = {
        StringEquals: (v) => v === actual,
        StringLike: (v) => wildcard(v, actual),
        ArnEquals: (v) => v === actual,
        ArnLike: (v) => wildcard(v, actual),
        Bool: (v) => v.toLowerCase() === actual.toLowerCase(),
        NumericLessThanEquals: (v) => Number(actual) <= Number(v),
      };
      if (!test[operator]) throw new Error(`condition operator ${operator} is not modelled`);
      if (!values.some(test[operator])) return false;
    }
  }
  return true;
}

/**
 * Values for every reference a template can make, for {@link resolveStatements}: a bucket's Arn is
 * `arn:aws:s3:::<BucketName or lower-cased logical id>`, a key's `arn:aws:kms:<region>:<account>:key/<id>`,
 * a topic's Ref its ARN from its TopicName, a REST API's Ref `api123`, a stage's Ref its name; anything else gets a placeholder that matches nothing real.
 */
export function sampleReferences(template: {
  Resources: Record<string, { Type: string; Properties?: Json }>;
}): Record<string, string> {
  const { 'AWS::Region': region, 'AWS::AccountId': account } = SAMPLE_PSEUDO_PARAMETERS;
  const referenceValue = (name: string): string => {
    if (name in SAMPLE_PSEUDO_PARAMETERS)
      return SAMPLE_PSEUDO_PARAMETERS[name as keyof typeof SAMPLE_PSEUDO_PARAMETERS];
    const [id, attribute] = name.split('.');
    const resource = template.Resources[id];
    const props = resource?.Properties ?? {};
    if (resource?.Type === 'AWS::S3::Bucket' && attribute === 'Arn') {
      return `arn:aws:s3:::${(props.BucketName as string | undefined) ?? id.toLowerCase()}`;
    }
    if (resource?.Type === 'AWS::KMS::Key' && attribute === 'Arn')
      return `arn:aws:kms:${region}:${account}:key/${id}`;
    if (resource?.Type === 'AWS::SNS::Topic' && attribute === undefined) {
      return `arn:aws:sns:${region}:${account}:${(props.TopicName as string | undefined) ?? id}`;
    }
    if (resource?.Type === 'AWS::ApiGateway::RestApi' && attribute === undefined) return 'api123';
    if (resource?.Type === 'AWS::ApiGateway::Stage' && attribute === undefined)
      return props.StageName as string;
    return `placeholder:${name}`;
  };
  return new Proxy({} as Record<string, string>, {
    has: () => true,
    get: (_, name) => referenceValue(String(name)),
  });
}

/**
 * Statements resolved to plain strings: CloudFormation references take the values in `refs` (a logical
 * id's Ref or `<id>.<Attribute>`), pseudo parameters the sample account and region.
 */
export function resolveStatements(
  statements: readonly Json[],
  refs: Readonly<Record<string, string>>,
): Json[] {
  const pseudo: Readonly<Record<string, string>> = SAMPLE_PSEUDO_PARAMETERS;
  const all = new Proxy({} as Record<string, string>, {
    has: (_, name) => String(name) in pseudo || String(name) in refs,
    get: (_, name) => pseudo[String(name)] ?? refs[String(name)],
  });
  const resolve = (value: unknown): unknown => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return evaluate(value, all);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    }
    return value;
  };
  return statements.map((s) => resolve(s) as Json);
}

/** The decision of a set of resolved statements (one policy, or every policy that applies) for a request. */
export function decide(statements: readonly Json[], request: PolicyRequest): Decision {
  const context = request.context ?? {};
  const matching = statements.filter(
    (s) =>
      principalMatches(s.Principal, request) &&
      asList(s.Action as string | string[]).some((a) => wildcard(a, request.action, true)) &&
      asList(s.Resource as string | string[]).some((r) => wildcard(r, request.resource)) &&
      conditionsMatch(s.Condition as Json | undefined, context),
  );
  if (matching.some((s) => s.Effect === 'Deny')) return 'denied';
  return matching.some((s) => s.Effect === 'Allow') ? 'allowed' : 'not allowed';
}
