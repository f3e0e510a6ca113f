import './support/aws-env';
import './support/log-env';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as getQuery } from '../../functions/get-query';
import { handler as reconcile } from '../../functions/reconcile-slots';
import { handler as starter } from '../../functions/starter';
import { apiEvent, lambdaContext, sqsRecord, storedItem, submissionBody } from './support/events';

type Line = Record<string, unknown>;

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
mockClient(SQSClient);

/** The JSON log lines the handlers write while `run` runs. */
async function logLines(run: () => Promise<unknown>): Promise<Line[]> {
  const lines: Line[] = [];
  const capture = (...args: unknown[]) => {
    lines.push(JSON.parse(String(args[0])) as Line);
  };
  const spies = (['log', 'info', 'warn', 'error'] as const).map((method) =>
    jest.spyOn(console, method).mockImplementation(capture),
  );
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
});

describe('log lines', () => {
  it('carry the Lambda context and the queryId (also as correlation_id) of the query a route is about', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem('q-ctx', { status: 'SUCCEEDED' }) });

    const lines = await logLines(() =>
      getQuery(apiEvent('GET', '/queries/q-ctx', { queryId: 'q-ctx' }), lambdaContext),
    );

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({
        function_request_id: lambdaContext.awsRequestId,
        function_name: lambdaContext.functionName,
        cold_start: expect.any(Boolean),
        queryId: 'q-ctx',
        correlation_id: 'q-ctx',
      });
    }
  });

  it("do not keep one invocation's query on the next one's lines", async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem('q-first', { status: 'SUCCEEDED' }) });
    await logLines(() =>
      getQuery(apiEvent('GET', '/queries/q-first', { queryId: 'q-first' }), lambdaContext),
    );

    const lines = await logLines(() => getQuery(apiEvent('GET', '/queries/', null), lambdaContext));

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toHaveProperty('queryId');
      expect(line).not.toHaveProperty('correlation_id');
    }
  });

  it("carry each message's own query in a starter batch", async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:run-query:${input.name}`,
    }));

    const lines = await logLines(() =>
      starter(
        {
          Records: [
            sqsRecord('m-a', submissionBody('q-a', 'fast')),
            sqsRecord('m-b', submissionBody('q-b', 'adhoc')),
          ],
        },
        lambdaContext,
      ),
    );

    const started = lines.filter((l) => String(l.message).startsWith('execution started'));
    expect(started.map((l) => [l.messageId, l.queryId, l.correlation_id])).toEqual([
      ['m-a', 'q-a', 'q-a'],
      ['m-b', 'q-b', 'q-b'],
    ]);
  });

  it("carry the query of an ended execution, from the execution's name", async () => {
    ddb.on(GetCommand).resolves({});

    const lines = await logLines(() =>
      reconcile(
        {
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: {
            executionArn: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q-ended__r1',
            name: 'q-ended__r1',
            status: 'ABORTED',
          },
        },
        lambdaContext,
      ),
    );

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ queryId: 'q-ended', correlation_id: 'q-ended' });
  });
});

describe('the tracer', () => {
  /**
   * Loads a handler module afresh, with its own copy of the tracer module whose prototype `spy`
   * watches (a module registry of its own: the handler's tracer is built at load).
   */
  function loadWith(module: string, spy: (tracer: typeof Tracer) => void): void {
    jest.isolateModules(() => {
      spy((require('@aws-lambda-powertools/tracer') as { Tracer: typeof Tracer }).Tracer);
      require(module);
    });
  }

  /** The SDK clients a handler module hands to the tracer when it loads, by class name. */
  function capturedClients(module: string): string[] {
    const captured: string[] = [];
    loadWith(module, (isolated) =>
      jest.spyOn(isolated.prototype, 'captureAWSv3Client').mockImplementation(<T>(client: T) => {
        captured.push((client as object).constructor.name);
        return client;
      }),
    );
    return captured.sort();
  }

  it.each([
    ['get-query', ['DynamoDBClient']],
    ['get-results', ['AthenaClient', 'DynamoDBClient', 'S3Client']],
    ['list-queries', ['DynamoDBClient']],
    ['list-workgroups', ['DynamoDBClient', 'ServiceQuotasClient']],
    ['cancel-query', ['DynamoDBClient', 'SFNClient', 'SQSClient']],
    ['starter', ['DynamoDBClient', 'SFNClient', 'SQSClient']],
    ['dispatcher', ['DynamoDBClient', 'SFNClient', 'SQSClient', 'ServiceQuotasClient']],
    ['redrive', ['DynamoDBClient', 'SQSClient']],
    ['reconcile-slots', ['DynamoDBClient', 'SFNClient', 'SQSClient']],
    ['quota-monitor', ['CloudWatchClient', 'DynamoDBClient', 'SNSClient', 'ServiceQuotasClient']],
    ['api-gateway-account-role', ['APIGatewayClient', 'IAMClient']],
  ])('captures every AWS SDK client of %s', (name, clients) => {
    expect(capturedClients(`../../functions/${name}`)).toEqual([...clients].sort());
  });

  it('wraps the handler in captureLambdaHandler, without recording the response', () => {
    let options: unknown[] = [];
    loadWith('../../functions/get-results', (isolated) => {
      const original = isolated.prototype.captureLambdaHandler;
      jest.spyOn(isolated.prototype, 'captureLambdaHandler').mockImplementation(function (
        this: Tracer,
        ...args
      ) {
        options = args;
        return original.apply(this, args);
      });
    });
    expect(options).toEqual([{ captureResponse: false }]);
  });
});
