import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import { ROUTES } from '../../contracts/routes';
import { openApiDocument } from '../../functions/core/openapi';
import { QueryApi } from '../../lib/query-api';
import { QueryTables } from '../../lib/query-tables';
import { methodPath, resourcesOf, synthesize, testApp } from './support';

type Json = Record<string, unknown>;

/** `METHOD /path` of every operation of the OpenAPI document (one submission path per class). */
function documented(config: ReturnType<typeof parseConfig>): string[] {
  const paths = openApiDocument(config).paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => key !== 'parameters')
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

describe('the route table', () => {
  it('is what API Gateway serves, route for route, as the OpenAPI document describes it', () => {
    const { template, stack } = synthesize();
    const served = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'))
      .map((method) => `${(method.Properties as Json).HttpMethod} ${methodPath(template, method)}`)
      .sort();

    const config = stack.workloadManager.config;
    // Each route of the table, the class route once per class.
    const table = Object.values(ROUTES)
      .flatMap((route) =>
        route.path.includes('{className}')
          ? Object.keys(config.classes).map((c) => `${route.method} ${route.path.replace('{className}', c)}`)
          : [`${route.method} ${route.path}`],
      )
      .sort();
    expect(served).toEqual(table);
    expect(documented(config)).toEqual(table);
  });

  it('fails synthesis when a Lambda route of the table has no function, naming the route', () => {
    const app = testApp();
    const stack = new Stack(app, 'Routes');
    const config = parseConfig(DEFAULT_CONFIG);
    const api = new QueryApi(stack, 'Api', {
      config,
      tables: new QueryTables(stack, 'Ledger', { removalPolicy: RemovalPolicy.DESTROY }),
      apiName: 'routes',
      stageName: 'v1',
      throttling: { rateLimit: 1, burstLimit: 1 },
      cloudWatchRole: false,
      logRetention: logs.RetentionDays.ONE_DAY,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    api.addLambdaRoute('listQueries', fn);
    api.addLambdaRoute('getResults', fn);
    api.addLambdaRoute('cancelQuery', fn);

    expect(() => app.synth()).toThrow(/GET \/workgroups \(listWorkgroups\) has no function/);
  });
});
