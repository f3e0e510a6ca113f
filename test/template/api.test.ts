import {
  MAX_QUERY_BYTES,
  NO_NUL_PATTERN,
  QUERY_ID_PATTERN,
  STATEMENT_PATTERN,
} from '../../contracts/submission';
import { ACCEPTED_RESPONSE_TEMPLATE } from '../../lib/query-api';
import {
  actionsOf,
  logicalId,
  methodPath,
  propertiesOf,
  resourcesOf,
  resourcesOfStatement,
  type Synthesized,
  statementsForRole,
  synthesize,
} from './support';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
});

type Json = Record<string, unknown>;
/** A formal VTL reference, `${name}`. */
const vtl = (name: string) => `$${'{'}${name}}`;
const methods = () => Object.values(resourcesOf(synthesized.template, 'AWS::ApiGateway::Method'));
const pathParts = () =>
  Object.values(resourcesOf(synthesized.template, 'AWS::ApiGateway::Resource')).map(
    (r) => (r.Properties as Json).PathPart as string,
  );
const postMethods = () => methods().filter((m) => (m.Properties as Json).HttpMethod === 'POST');

describe('query API', () => {
  it('requires IAM (SigV4) authorization on every method', () => {
    expect(methods().length).toBeGreaterThanOrEqual(7);
    for (const method of methods()) expect((method.Properties as Json).AuthorizationType).toBe('AWS_IAM');
  });

  it('has one static submission route per class and no {class} path parameter', () => {
    const parts = pathParts();
    for (const name of ['predictable', 'fast', 'long', 'exploratory', 'adhoc']) expect(parts).toContain(name);
    expect(parts.filter((p) => p === 'queries')).toHaveLength(6); // five classes plus /queries
    expect(parts.filter((p) => p.startsWith('{'))).toEqual(['{queryId}']);
    expect(postMethods()).toHaveLength(6); // five classes plus /athena/query
  });

  it('validates body and parameters with a validator', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    for (const method of postMethods()) {
      expect((method.Properties as Json).RequestValidatorId).toBeDefined();
      expect((method.Properties as Json).RequestModels).toEqual({ 'application/json': expect.anything() });
    }
  });

  it('models the submission body: query up to MAX_QUERY_BYTES characters and a statement, queryId by pattern, nothing else', () => {
    const model = propertiesOf(synthesized.template, 'AWS::ApiGateway::Model', 'Submission');
    const schema = model.Schema as Json & { properties: Record<string, Json> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.required).toEqual(['query']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.query).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: MAX_QUERY_BYTES,
      allOf: [{ pattern: STATEMENT_PATTERN }, { pattern: NO_NUL_PATTERN }],
    });
    expect(schema.properties.queryId).toMatchObject({ type: 'string', pattern: QUERY_ID_PATTERN });
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['catalog', 'database', 'executionParameters', 'query', 'queryId', 'userId'].sort(),
    );
  });

  it('sends submissions straight to SQS SendMessage, URL-encoded as a form', () => {
    for (const method of postMethods()) {
      const integration = (method.Properties as Json).Integration as Json;
      expect(integration.Type).toBe('AWS');
      expect(integration.IntegrationHttpMethod).toBe('POST');
      expect(JSON.stringify(integration.Uri)).toContain(':sqs:path/');
      expect(integration.PassthroughBehavior).toBe('NEVER');
      expect(integration.RequestParameters).toEqual({
        'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'",
      });
      const template = (integration.RequestTemplates as Json)['application/json'] as string;
      expect(template).toContain('Action=SendMessage&MessageBody=$util.urlEncode($message)');
      expect(template).toContain('#set($context.requestOverride.header.X-Query-Id = $queryId)');
    }
  });

  it('routes POST /athena/query to the default class', () => {
    const adhoc = `${vtl('dq')}workgroup${vtl('dq')}:${vtl('dq')}adhoc${vtl('dq')}`;
    const sample = postMethods().filter((m) => {
      const template = (((m.Properties as Json).Integration as Json).RequestTemplates as Json)[
        'application/json'
      ] as string;
      return template.includes(adhoc);
    });
    expect(sample).toHaveLength(2); // /workgroups/adhoc/queries and /athena/query
  });

  it('answers 202 with the queryId and its status URL, and maps queue errors to 500 JSON', () => {
    const integration = (postMethods()[0].Properties as Json).Integration as Json;
    const responses = integration.IntegrationResponses as Json[];
    const accepted = responses.find((r) => r.StatusCode === '202') as Json;
    expect(accepted.SelectionPattern).toBe('2\\d{2}');
    expect((accepted.ResponseTemplates as Json)['application/json']).toBe(ACCEPTED_RESPONSE_TEMPLATE);
    expect(ACCEPTED_RESPONSE_TEMPLATE).toContain('$context.requestOverride.header.X-Query-Id');
    expect(ACCEPTED_RESPONSE_TEMPLATE).toContain(
      'https://$context.domainName/$context.stage/queries/$queryId',
    );
    const failed = responses.find((r) => r.StatusCode === '500') as Json;
    expect(failed.SelectionPattern).toBeUndefined();
    expect(() => JSON.parse((failed.ResponseTemplates as Json)['application/json'] as string)).not.toThrow();
  });

  it('lets API Gateway send only to the queries queue', () => {
    const { stack, template } = synthesized;
    const role = logicalId(stack, synthesized.stack.workloadManager.parts.queryApi.sqsRole);
    const statements = statementsForRole(template, role);
    expect(statements).toHaveLength(1);
    expect(actionsOf(statements[0])).toEqual(['sqs:SendMessage']);
    const queue = logicalId(stack, synthesized.stack.workloadManager.queriesQueue);
    expect(resourcesOfStatement(statements[0])).toEqual([{ 'Fn::GetAtt': [queue, 'Arn'] }]);
    for (const method of postMethods()) {
      expect(((method.Properties as Json).Integration as Json).Credentials).toEqual({
        'Fn::GetAtt': [role, 'Arn'],
      });
    }
  });

  it('reads a query with a Lambda on GET /queries/{queryId}', () => {
    const get = methods().filter(
      (m) =>
        (m.Properties as Json).HttpMethod === 'GET' &&
        methodPath(synthesized.template, m) === '/queries/{queryId}',
    );
    expect(get).toHaveLength(1);
    expect(get[0].Properties).toMatchObject({
      RequestParameters: { 'method.request.path.queryId': true },
      Integration: { Type: 'AWS_PROXY' },
    });
  });

  it('tells unsigned or unknown-route callers to sign with SigV4 and lists the routes', () => {
    const response = Object.values(
      resourcesOf(synthesized.template, 'AWS::ApiGateway::GatewayResponse'),
    ).find((r) => (r.Properties as Json).ResponseType === 'MISSING_AUTHENTICATION_TOKEN');
    const body = JSON.parse(
      (((response as Json).Properties as Json).ResponseTemplates as Json)['application/json'] as string,
    );
    expect(body.message).toContain('SigV4');
    expect(body.message).toContain('POST /v1/workgroups/exploratory/queries');
    expect(body.message).toContain('POST /v1/athena/query');
    synthesized.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
    });
  });

  it('logs access as JSON, traces with X-Ray and throttles the v1 stage', () => {
    const stage = propertiesOf(synthesized.template, 'AWS::ApiGateway::Stage', 'Api');
    expect(stage.StageName).toBe('v1');
    expect(stage.TracingEnabled).toBe(true);
    const format = (stage.AccessLogSetting as Json).Format as string;
    expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(stage.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
      }),
    ]);
  });

  it("sets the account's API Gateway logging role (when none is set) before the logging stage is created", () => {
    const { template } = synthesized;
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const setting = Object.entries(resourcesOf(template, 'Custom::ApiGatewayAccountLoggingRole'));
    expect(setting).toHaveLength(1);
    const [settingId, resource] = setting[0];
    const roleId = ((resource.Properties as Json).RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const role = resourcesOf(template, 'AWS::IAM::Role')[roleId] as Json & { Properties: Json };
    expect(role.DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('apigateway.amazonaws.com');
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain(
      'AmazonAPIGatewayPushToCloudWatchLogs',
    );
    const [stage] = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage'));
    expect(stage.DependsOn).toEqual(expect.arrayContaining([settingId]));
    expect((stage.Properties as Json).AccessLogSetting).toBeDefined();
  });

  it('leaves the account setting alone with apiCloudWatchRole: false', () => {
    const { template } = synthesize({ apiCloudWatchRole: false }, 'NoLoggingRole');
    template.resourceCountIs('Custom::ApiGatewayAccountLoggingRole', 0);
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});
