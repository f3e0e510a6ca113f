import { ExitCode } from '../../cli/errors';
import { type CliIo, main } from '../../cli/program';

const api = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Runs the CLI in-process against a fake fetch that answers `status` with `body`. */
async function run(argv: string[], answer: { status: number; body: unknown }, extra: Partial<CliIo> = {}) {
  const sent: Sent[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const fakeFetch = (async (url: URL, init: RequestInit) => {
    sent.push({
      url: url.toString(),
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body as string | undefined,
    });
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status });
  }) as typeof fetch;
  const code = await main(argv, {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    env: {},
    fetch: fakeFetch,
    ...extra,
  });
  return { code, sent, stdout: out.join(''), stderr: err.join('') };
}

const view = {
  queryId: 'q1',
  className: 'fast',
  query: 'SELECT 1',
  database: 'default',
  catalog: 'AwsDataCatalog',
  submittedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  status: 'RUNNING',
  attempts: 1,
  redrives: 0,
  elapsedMs: 1500,
  finished: false,
};

describe('athena-wlm against a deployed (https) endpoint', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('signs requests for execute-api in the region of the host, with the default credential chain', async () => {
    const { code, sent, stdout } = await run(['--endpoint', api, 'status', 'q1'], {
      status: 200,
      body: view,
    });
    expect(code).toBe(ExitCode.Ok);
    expect(sent[0].url).toBe(`${api}/queries/q1`);
    expect(sent[0].headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(stdout).toMatch(/^Query\s+q1$/m);
    expect(stdout).toMatch(/^Status\s+RUNNING$/m);
  });

  it('signs the JSON body of a submission to a class', async () => {
    const { code, sent, stdout } = await run(
      ['--endpoint', api, 'submit', '--class', 'fast', '--database', 'logs', 'SELECT 1'],
      { status: 202, body: { queryId: 'q9', statusUrl: `${api}/queries/q9` } },
    );
    expect(code).toBe(ExitCode.Ok);
    expect(stdout).toBe('q9\n');
    expect(sent[0]).toMatchObject({ method: 'POST', url: `${api}/workgroups/fast/queries` });
    expect(JSON.parse(sent[0].body!)).toEqual({ query: 'SELECT 1', database: 'logs' });
    expect(sent[0].headers.authorization).toContain('SignedHeaders=accept;content-type;host;x-amz-date,');
  });

  it.each([
    [['submit', '--workgroup', 'long', 'SELECT 1'], 'POST', '/workgroups/long/queries'],
    [['submit', '-w', 'long', 'SELECT 1'], 'POST', '/workgroups/long/queries'],
    [['list', '--workgroup', 'long'], 'GET', '/queries?className=long&workgroup=long'],
    [['list', '--class', 'long'], 'GET', '/queries?className=long&workgroup=long'],
  ])('still takes the class as --workgroup, its first name: %j', async (args, method, path) => {
    const { code, sent } = await run(['--endpoint', api, ...args], {
      status: method === 'POST' ? 202 : 200,
      body: method === 'POST' ? { queryId: 'q9', statusUrl: `${api}/queries/q9` } : { items: [] },
    });
    expect(code).toBe(ExitCode.Ok);
    expect(sent[0]).toMatchObject({ method, url: `${api}${path}` });
  });

  it('shows the class of an API of the previous release, which answers it only as workgroup', async () => {
    const { className: _, ...previous } = view;
    const { code, stdout } = await run(['--endpoint', api, 'status', 'q1'], {
      status: 200,
      body: { ...previous, workgroup: 'fast' },
    });
    expect(code).toBe(ExitCode.Ok);
    expect(stdout).toMatch(/^Class\s+fast$/m);
  });

  it('refuses --class and --workgroup together', async () => {
    const { code, sent } = await run(
      ['--endpoint', api, 'submit', '--class', 'fast', '-w', 'long', 'SELECT 1'],
      {
        status: 202,
        body: { queryId: 'q9', statusUrl: `${api}/queries/q9` },
      },
    );
    expect(code).toBe(ExitCode.Usage);
    expect(sent).toHaveLength(0);
  });

  it('sends unsigned requests with --no-sign', async () => {
    const { sent } = await run(['--endpoint', api, '--no-sign', 'status', 'q1'], { status: 200, body: view });
    expect(sent[0].headers.authorization).toBeUndefined();
  });

  it('reports a refusal by IAM as an auth error (exit 3) with what to check', async () => {
    const { code, stderr } = await run(['--endpoint', api, 'classes'], {
      status: 403,
      body: { message: 'User: arn:aws:iam::1:user/x is not authorized to perform: execute-api:Invoke' },
    });
    expect(code).toBe(ExitCode.Unreachable);
    expect(stderr).toContain('refused the request (HTTP 403): User: arn:aws:iam::1:user/x is not authorized');
    expect(stderr).toContain('IAM managed policy');
  });

  it('takes the endpoint from the ApiUrl output of --stack', async () => {
    const readStackOutputs = jest.fn(async () => ({ ApiUrl: `${api}/` }));
    const { code, sent } = await run(
      ['status', 'q1', '--stack'],
      { status: 200, body: view },
      { readStackOutputs },
    );
    expect(code).toBe(ExitCode.Ok);
    expect(readStackOutputs).toHaveBeenCalledWith('AthenaWlm', expect.anything());
    expect(sent[0].url).toBe(`${api}/queries/q1`);
    // `--stack` before the command means the default stack, not a stack named "status".
    await run(['--stack', 'status', 'q1'], { status: 200, body: view }, { readStackOutputs });
    expect(readStackOutputs).toHaveBeenLastCalledWith('AthenaWlm', expect.anything());
  });
});

describe('athena-wlm error reporting', () => {
  const local = ['--endpoint', 'http://127.0.0.1:8787'];

  it('lists every bad field of a refused submission and exits 1', async () => {
    const { code, stderr, sent } = await run([...local, 'submit', '--query-id', 'bad id', 'SELECT 1'], {
      status: 400,
      body: {
        message: 'Invalid request body: queryId: queryId is 1 to 64 letters',
        errors: [{ field: 'queryId', problem: 'queryId is 1 to 64 letters' }],
      },
    });
    expect(sent[0].headers.authorization).toBeUndefined();
    expect(code).toBe(ExitCode.QueryFailed);
    expect(stderr).toContain('The API refused the submission.\n  queryId: queryId is 1 to 64 letters');
  });

  it('prints the API message of a 409 and exits 1', async () => {
    const message =
      'Query q1 is RUNNING, not SUCCEEDED, so it has no results to read. Ask again when its status is SUCCEEDED.';
    const { code, stderr } = await run([...local, 'results', 'q1'], {
      status: 409,
      body: { message, queryId: 'q1', status: 'RUNNING' },
    });
    expect(code).toBe(ExitCode.QueryFailed);
    expect(stderr).toBe(`athena-wlm: ${message}\n`);
  });

  it('treats a server error as the endpoint failing (exit 3)', async () => {
    const { code, stderr } = await run([...local, 'list'], {
      status: 500,
      body: { message: 'Internal error: boom' },
    });
    expect(code).toBe(ExitCode.Unreachable);
    expect(stderr).toContain('HTTP 500');
    expect(stderr).toContain('Try again');
  });

  it('says so when the endpoint does not answer like athena-wlm (exit 3)', async () => {
    const { code, stderr } = await run([...local, 'classes'], { status: 200, body: '<html>hello</html>' });
    expect(code).toBe(ExitCode.Unreachable);
    expect(stderr).toContain('not athena-wlm');
  });

  it('refuses an empty SQL file before sending anything (exit 2)', async () => {
    const { code, sent, stderr } = await run([...local, 'submit', '@/dev/null'], { status: 202, body: {} });
    expect(code).toBe(ExitCode.Usage);
    expect(sent).toHaveLength(0);
    expect(stderr).toContain('The SQL in /dev/null is empty.');
  });
});
