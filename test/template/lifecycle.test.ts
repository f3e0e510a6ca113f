import { existsSync } from 'node:fs';
import { ENV } from '../../contracts/env';
import { HANDLER_FILES, handlerEntry, type WlmFunction } from '../../lib/wlm-function';
import {
  actionsOf,
  configWith,
  evaluate,
  logicalId,
  methodPath,
  resourcesOf,
  resourcesOfStatement,
  SAMPLE_PSEUDO_PARAMETERS,
  type Synthesized,
  statementsForRole,
  synthesize,
} from './support';

type Json = Record<string, unknown>;

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
});

const lifecycle = () => synthesized.stack.workloadManager.parts.lifecycle;
const id = (construct: { node: { defaultChild?: unknown } }) => logicalId(synthesized.stack, construct);

/** Every route this file is about, with the function that must serve it. */
const ROUTES: ReadonlyArray<{
  readonly method: string;
  readonly path: string;
  readonly fn: () => WlmFunction;
}> = [
  { method: 'GET', path: '/queries', fn: () => lifecycle().listQueriesFunction },
  { method: 'GET', path: '/queries/{queryId}/results', fn: () => lifecycle().getResultsFunction },
  { method: 'DELETE', path: '/queries/{queryId}', fn: () => lifecycle().cancelQueryFunction },
  { method: 'GET', path: '/workgroups', fn: () => lifecycle().listWorkgroupsFunction },
];

function methodFor(method: string, path: string): Json {
  const matches = Object.values(resourcesOf(synthesized.template, 'AWS::ApiGateway::Method')).filter(
    (m) => (m.Properties as Json).HttpMethod === method && methodPath(synthesized.template, m) === path,
  );
  expect(matches).toHaveLength(1);
  return matches[0].Properties as Json;
}

/** What every WlmFunction role holds: writing its own log group, and X-Ray tracing. */
const BASELINE_ACTIONS = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

function roleStatements(fn: WlmFunction): Json[] {
  return statementsForRole(synthesized.template, id(fn.role));
}

/** The role's actions beyond the baseline, sorted, each once. */
function grantedActions(fn: WlmFunction): string[] {
  const actions = new Set(roleStatements(fn).flatMap(actionsOf));
  for (const action of BASELINE_ACTIONS) expect(actions.has(action)).toBe(true);
  return [...actions].filter((a) => !BASELINE_ACTIONS.includes(a)).sort();
}

/** Resources of the statements that allow one action. */
function resourcesFor(fn: WlmFunction, action: string): unknown[] {
  return roleStatements(fn)
    .filter((s) => actionsOf(s).includes(action))
    .flatMap(resourcesOfStatement);
}

const ledgerArn = () => ({ 'Fn::GetAtt': [id(synthesized.stack.workloadManager.ledgerTable), 'Arn'] });
const dispatchArn = () => ({ 'Fn::GetAtt': [id(synthesized.stack.workloadManager.dispatchTable), 'Arn'] });
const wakeQueueArn = () => ({ 'Fn::GetAtt': [id(synthesized.stack.workloadManager.wakeQueue), 'Arn'] });
const indexArn = () => ({ 'Fn::Join': ['', [ledgerArn(), '/index/byWorkgroup']] });

describe('lifecycle routes', () => {
  it.each(ROUTES)('serves $method $path with IAM auth through its own Lambda (proxy)', (route) => {
    const method = methodFor(route.method, route.path);
    expect(method.AuthorizationType).toBe('AWS_IAM');
    const integration = method.Integration as Json;
    expect(integration.Type).toBe('AWS_PROXY');
    expect(integration.IntegrationHttpMethod).toBe('POST');
    expect(JSON.stringify(integration.Uri)).toContain(
      JSON.stringify({ 'Fn::GetAtt': [id(route.fn().function), 'Arn'] }),
    );
  });

  it.each(ROUTES.filter((r) => r.path.includes('{queryId}')))(
    'has API Gateway require the queryId path parameter of $method $path',
    (route) => {
      const method = methodFor(route.method, route.path);
      expect(method.RequestValidatorId).toBeDefined();
      expect(method.RequestParameters).toMatchObject({ 'method.request.path.queryId': true });
    },
  );

  it('declares the optional list filters on GET /queries without requiring any', () => {
    expect(methodFor('GET', '/queries').RequestParameters).toEqual({
      'method.request.querystring.className': false,
      'method.request.querystring.workgroup': false,
      'method.request.querystring.status': false,
      'method.request.querystring.userId': false,
      'method.request.querystring.limit': false,
      'method.request.querystring.nextToken': false,
    });
  });

  it('lets API Gateway invoke each lifecycle function from its own route only', () => {
    const permissions = Object.values(resourcesOf(synthesized.template, 'AWS::Lambda::Permission'));
    for (const route of ROUTES) {
      const own = permissions.filter(
        (p) =>
          JSON.stringify((p.Properties as Json).FunctionName) ===
          JSON.stringify({ 'Fn::GetAtt': [id(route.fn().function), 'Arn'] }),
      );
      expect(own.length).toBeGreaterThan(0);
      for (const permission of own) {
        const source = JSON.stringify((permission.Properties as Json).SourceArn);
        expect(source).toContain(`/${route.method}${route.path.replace('{queryId}', '*')}"`);
      }
    }
  });

  it('names the new routes in the unknown-route message', () => {
    const response = Object.values(
      resourcesOf(synthesized.template, 'AWS::ApiGateway::GatewayResponse'),
    ).find((r) => (r.Properties as Json).ResponseType === 'MISSING_AUTHENTICATION_TOKEN') as Json;
    const body = JSON.parse(
      ((response.Properties as Json).ResponseTemplates as Json)['application/json'] as string,
    );
    for (const route of ROUTES) expect(body.message).toContain(`${route.method} /v1${route.path}`);
  });
});

describe('lifecycle functions', () => {
  it('names only handler files that exist in functions/', () => {
    for (const name of Object.keys(HANDLER_FILES) as (keyof typeof HANDLER_FILES)[]) {
      expect(existsSync(handlerEntry(name))).toBe(true);
    }
  });

  it.each(ROUTES)(
    'runs $method $path as an arm64 Node.js 22 function with X-Ray and its own log group',
    (route) => {
      const fn = route.fn();
      const props = synthesized.template.toJSON().Resources[id(fn.function)].Properties as Json;
      expect(props).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Timeout: 30,
        MemorySize: 256,
        LoggingConfig: { LogGroup: { Ref: id(fn.logGroup) } },
        Role: { 'Fn::GetAtt': [id(fn.role), 'Arn'] },
      });
    },
  );

  it('gives each function the environment its handler reads, and no more', () => {
    const envOf = (fn: WlmFunction) =>
      Object.keys(
        ((synthesized.template.toJSON().Resources[id(fn.function)].Properties as Json).Environment as Json)
          .Variables as Json,
      ).sort();
    const common = ['NODE_OPTIONS', 'POWERTOOLS_METRICS_NAMESPACE'];
    const ledgerOnly = [ENV.config, ENV.ledgerTable, ...common].sort();
    expect(envOf(lifecycle().listQueriesFunction)).toEqual(ledgerOnly);
    expect(envOf(lifecycle().getResultsFunction)).toEqual(ledgerOnly);
    expect(envOf(lifecycle().cancelQueryFunction)).toEqual([...ledgerOnly, ENV.wakeQueueUrl].sort());
    expect(envOf(lifecycle().listWorkgroupsFunction)).toEqual([...ledgerOnly, ENV.dispatchTable].sort());
  });

  it('grants no wildcard action, and "*" resources only to actions that take no resource', () => {
    // X-Ray, and the AWS default of a quota (Service Quotas authorization reference: no resource type).
    const resourceless = [
      'servicequotas:GetAWSDefaultServiceQuota',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ];
    for (const route of ROUTES) {
      for (const statement of roleStatements(route.fn())) {
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
        if (resourcesOfStatement(statement).includes('*')) {
          for (const action of actionsOf(statement)) expect(resourceless).toContain(action);
        }
      }
    }
  });
});

describe('list-queries role', () => {
  it('may only Query the byWorkgroup index (no Scan, no table read)', () => {
    const fn = lifecycle().listQueriesFunction;
    expect(grantedActions(fn)).toEqual(['dynamodb:Query']);
    expect(resourcesFor(fn, 'dynamodb:Query')).toEqual([indexArn()]);
  });
});

describe('get-results role', () => {
  it('may get ledger items, read Athena results and get result objects, nothing else', () => {
    const fn = lifecycle().getResultsFunction;
    expect(grantedActions(fn)).toEqual(['athena:GetQueryResults', 'dynamodb:GetItem', 's3:GetObject']);
    expect(resourcesFor(fn, 'dynamodb:GetItem')).toEqual([ledgerArn()]);
  });

  it('reads Athena results in the class workgroups only', () => {
    const workgroups = resourcesFor(lifecycle().getResultsFunction, 'athena:GetQueryResults').map((arn) =>
      evaluate(arn, SAMPLE_PSEUDO_PARAMETERS),
    );
    expect(workgroups.sort()).toEqual(
      ['adhoc', 'exploratory', 'fast', 'long', 'predictable'].map(
        (c) => `arn:aws:athena:eu-west-1:123456789012:workgroup/athena-wlm-${c}`,
      ),
    );
  });

  it('gets objects under the results prefix of the results bucket only', () => {
    const bucket = id(synthesized.stack.workloadManager.resultsBucket);
    const resources = resourcesFor(lifecycle().getResultsFunction, 's3:GetObject');
    expect(resources).toHaveLength(1);
    expect(evaluate(resources[0], { [`${bucket}.Arn`]: 'arn:aws:s3:::results-bucket' })).toBe(
      'arn:aws:s3:::results-bucket/results/*',
    );
  });
});

describe('cancel-query role', () => {
  it('may get and update ledger items, wake the dispatcher, stop and describe executions', () => {
    const fn = lifecycle().cancelQueryFunction;
    expect(grantedActions(fn)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'states:DescribeExecution',
      'states:StopExecution',
    ]);
    expect(resourcesFor(fn, 'dynamodb:GetItem')).toEqual([ledgerArn()]);
    // The cancel never writes the dispatcher's state: it tells the dispatcher through its queue.
    expect(resourcesFor(fn, 'dynamodb:UpdateItem')).toEqual([ledgerArn()]);
    expect(resourcesFor(fn, 'sqs:SendMessage')).toEqual([wakeQueueArn()]);
  });

  it('stops executions of the run-query state machine only', () => {
    const machine = id(synthesized.stack.workloadManager.stateMachine);
    const resources = resourcesFor(lifecycle().cancelQueryFunction, 'states:StopExecution');
    expect(resources).toHaveLength(1);
    expect(
      evaluate(resources[0], { ...SAMPLE_PSEUDO_PARAMETERS, [`${machine}.Name`]: 'athena-wlm-run-query' }),
    ).toBe('arn:aws:states:eu-west-1:123456789012:execution:athena-wlm-run-query:*');
  });
});

describe('list-workgroups role', () => {
  it('may Query the dispatch table (slots held) and the byWorkgroup index, and read the live quota', () => {
    const fn = lifecycle().listWorkgroupsFunction;
    expect(grantedActions(fn)).toEqual([
      'dynamodb:Query',
      'servicequotas:GetAWSDefaultServiceQuota',
      'servicequotas:GetServiceQuota',
    ]);
    expect(resourcesFor(fn, 'dynamodb:Query')).toEqual([dispatchArn(), indexArn()]);
  });

  describe('with a fixed quota', () => {
    let fixed: Synthesized;
    beforeAll(() => {
      fixed = synthesize(
        { config: configWith({ quota: { activeDmlQueries: 20, headroom: 2, alarmAtPercent: 80 } }) },
        'FixedQuota',
      );
    });

    it('may not read Service Quotas', () => {
      const fn = fixed.stack.workloadManager.parts.lifecycle.listWorkgroupsFunction;
      const actions = statementsForRole(fixed.template, logicalId(fixed.stack, fn.role)).flatMap(actionsOf);
      expect(actions.some((a) => a.startsWith('servicequotas:'))).toBe(false);
    });
  });

  describe('with the quota read from Service Quotas (the default)', () => {
    it('reads the Active DML queries quota only', () => {
      const live = synthesized;
      const fn = live.stack.workloadManager.parts.lifecycle.listWorkgroupsFunction;
      const statements = statementsForRole(live.template, logicalId(live.stack, fn.role));
      const quota = statements.find((s) => actionsOf(s).includes('servicequotas:GetServiceQuota')) as Json;
      expect(evaluate(resourcesOfStatement(quota)[0], SAMPLE_PSEUDO_PARAMETERS)).toBe(
        'arn:aws:servicequotas:eu-west-1:123456789012:athena/L-FC5F6546',
      );
      const extra = new Set(statements.flatMap(actionsOf).filter((a) => a.startsWith('servicequotas:')));
      expect([...extra].sort()).toEqual([
        'servicequotas:GetAWSDefaultServiceQuota',
        'servicequotas:GetServiceQuota',
      ]);
    });
  });
});

describe('stack outputs', () => {
  const outputs = () => synthesized.template.toJSON().Outputs as Record<string, Json>;

  it('exports the stage URL as ApiUrl, the name the CLI reads', () => {
    const api = id(synthesized.stack.workloadManager.api);
    const stage = logicalId(synthesized.stack, synthesized.stack.workloadManager.api.deploymentStage);
    expect(
      evaluate(outputs().ApiUrl.Value, { ...SAMPLE_PSEUDO_PARAMETERS, [api]: 'abc123', [stage]: 'v1' }),
    ).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/v1/');
  });

  it('exports the state machine, the ledger table and the three queues', () => {
    const wlm = synthesized.stack.workloadManager;
    expect(outputs()).toMatchObject({
      StateMachineArn: { Value: { Ref: id(wlm.stateMachine) } },
      LedgerTableName: { Value: { Ref: id(wlm.ledgerTable) } },
      QueriesQueueUrl: { Value: { Ref: id(wlm.queriesQueue) } },
      DeferredQueueUrl: { Value: { Ref: id(wlm.deferredQueue) } },
      FailedQueueUrl: { Value: { Ref: id(wlm.failedQueue) } },
    });
  });
});
