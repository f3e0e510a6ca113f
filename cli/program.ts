import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { QUERY_STATUSES } from '../contracts/query-status';
import type { QueryViewBody } from '../contracts/responses';
import type { SubmissionBody } from '../contracts/submission';
import { ApiClient, ApiError, EndpointUnreachableError, UnexpectedResponseError } from './api-client';
import { createSigner, shouldSign } from './aws-auth';
import {
  DEFAULT_ENDPOINT,
  DEFAULT_STACK,
  ENDPOINT_ENV,
  type ResolvedEndpoint,
  resolveEndpoint,
  type StackOutputsReader,
} from './endpoint';
import { CliError, ExitCode, type ExitCodeValue } from './errors';
import {
  formatBytes,
  formatDuration,
  RESULT_FORMATS,
  type ResultFormat,
  type Row,
  renderResults,
  renderTextTable,
} from './format';
import { type ProgressStream, waitForQuery } from './wait';

/** What the CLI talks to: the process's streams and environment, or test doubles. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly env: NodeJS.ProcessEnv;
  readonly readStdin?: () => Promise<string>;
  readonly fetch?: typeof fetch;
  readonly readStackOutputs?: StackOutputsReader;
  /** Called with a cleanup message when the user presses Ctrl-C during `--wait`. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

interface GlobalOptions {
  readonly endpoint?: string;
  readonly stack?: string | boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly sign?: boolean;
  readonly json?: boolean;
}

interface Connection {
  readonly client: ApiClient;
  readonly endpoint: ResolvedEndpoint;
  readonly signed: boolean;
  /** `athena-wlm` plus the flags that chose this endpoint, for the commands we suggest. */
  readonly prefix: string;
}

function packageVersion(): string {
  // cli/ when run with tsx, dist/cli/ when built: the nearest athena-wlm package.json above.
  for (let dir = __dirname, up = 0; up < 6; dir = join(dir, '..'), up++) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'athena-wlm' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

function wholeNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`Give a whole number from 1 to ${max}.`);
    }
    return n;
  };
}

function queryStatus(value: string): string {
  const status = value.toUpperCase();
  if (!(QUERY_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidArgumentError(`Give one of ${QUERY_STATUSES.join(', ')}.`);
  }
  return status;
}

/** The list filter for a class, under both its names: an API of the previous release reads only workgroup. */
function classFilter(className: string | undefined): { className?: string; workgroup?: string } {
  return className ? { className, workgroup: className } : {};
}

/** A query's class, also from an API of the previous release, which answers only workgroup. */
function classOf(view: { readonly className?: string; readonly workgroup?: string }): string | undefined {
  return view.className ?? view.workgroup;
}

/** `--workgroup`, the first name of `--class`: still read, no longer shown. */
function classAlias(): Option {
  return new Option('-w, --workgroup <class>', 'the first name of --class').hideHelp().conflicts('class');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `SQL`, `@file.sql` or `-` (standard input) to the SQL text. */
async function readSql(argument: string, io: CliIo): Promise<string> {
  let sql = argument;
  if (argument === '-') {
    if (!io.readStdin) throw new CliError('Cannot read SQL from standard input here.', ExitCode.Usage);
    sql = await io.readStdin();
  } else if (argument.startsWith('@')) {
    const file = argument.slice(1);
    try {
      sql = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(
        `Cannot read the SQL file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        ExitCode.Usage,
        'Give the SQL inline, @path/to/file.sql, or - to read standard input.',
      );
    }
  }
  sql = sql.trim();
  if (!sql) {
    throw new CliError(
      `The SQL ${argument.startsWith('@') ? `in ${argument.slice(1)} ` : ''}is empty.`,
      ExitCode.Usage,
      'Give the SQL inline, @path/to/file.sql, or - to read standard input.',
    );
  }
  return sql;
}

async function connect(options: GlobalOptions, io: CliIo): Promise<Connection> {
  const endpoint = await resolveEndpoint(options, { env: io.env, readStackOutputs: io.readStackOutputs });
  const signed = shouldSign(endpoint.url, options.sign);
  const aws = { region: options.region, profile: options.profile };
  const sign = signed ? await createSigner(endpoint.url, aws) : undefined;
  const flags = [
    endpoint.source === 'flag' ? `--endpoint ${endpoint.url}` : '',
    endpoint.source === 'stack' ? `--stack ${options.stack === true ? DEFAULT_STACK : options.stack}` : '',
    options.region ? `--region ${options.region}` : '',
    options.profile ? `--profile ${options.profile}` : '',
    options.sign === false ? '--no-sign' : options.sign === true ? '--sign' : '',
  ].filter(Boolean);
  return {
    client: new ApiClient({ baseUrl: endpoint.url, sign, fetch: io.fetch }),
    endpoint,
    signed,
    prefix: ['athena-wlm', ...flags].join(' '),
  };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function summarizeSql(sql: string, max: number): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A query view as `label  value` lines. */
export function renderView(view: QueryViewBody): string {
  const lines: [string, string | undefined][] = [
    ['Query', view.queryId],
    ['Status', view.reason ? `${view.status} (${view.reason})` : view.status],
    [
      'Class',
      view.athenaWorkGroup ? `${classOf(view)} (Athena workgroup ${view.athenaWorkGroup})` : classOf(view),
    ],
    ['Submitted', `${view.submittedAt}${view.submittedBy ? ` by ${view.submittedBy}` : ''}`],
    ['User', view.userId],
    ['Elapsed', formatDuration(view.elapsedMs) + (view.finished ? '' : ' so far')],
    ['Queue wait', view.queueWaitMs !== undefined ? formatDuration(view.queueWaitMs) : undefined],
    ['Engine time', view.engineTimeMs !== undefined ? formatDuration(view.engineTimeMs) : undefined],
    ['Scanned', view.dataScannedBytes !== undefined ? formatBytes(view.dataScannedBytes) : undefined],
    ['Attempts', `${view.attempts} (redrives ${view.redrives})`],
    ['Database', `${view.catalog}.${view.database}`],
    ['Execution', view.executionArn],
    ['Athena id', view.athenaQueryExecutionId],
    ['Output', view.outputLocation],
    ['Error', view.error ? `${view.error.code}: ${view.error.message}` : undefined],
    ['Cancelled by', view.cancelledBy],
    ['Finished', view.finishedAt],
    ['SQL', summarizeSql(view.query, 200)],
  ];
  const shown = lines.filter((l): l is [string, string] => l[1] !== undefined && l[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return `${shown.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

/** After `--wait`: a SUCCEEDED query is reported, a FAILED or CANCELLED one is an error (exit 1). */
function reportFinished(view: QueryViewBody, conn: Connection, io: CliIo, asJson: boolean): void {
  if (asJson) io.stdout.write(json(view));
  if (view.status === 'SUCCEEDED') {
    const scanned =
      view.dataScannedBytes !== undefined ? `, scanned ${formatBytes(view.dataScannedBytes)}` : '';
    io.stderr.write(
      `SUCCEEDED in ${formatDuration(view.elapsedMs)}${scanned}. Rows: ${conn.prefix} results ${view.queryId}\n`,
    );
    return;
  }
  const why = view.error?.message ?? view.reason ?? 'no reason recorded';
  throw new CliError(
    `Query ${view.queryId} ${view.status}: ${view.error?.code ? `${view.error.code}: ` : ''}${why}`,
    ExitCode.QueryFailed,
    view.status === 'CANCELLED'
      ? 'Submit it again if you still need its results.'
      : `Details: ${conn.prefix} status ${view.queryId}. Fix the SQL if it is at fault, or submit it again.`,
  );
}

async function waitAndReport(conn: Connection, queryId: string, io: CliIo, asJson: boolean): Promise<void> {
  const stop = io.onInterrupt?.(() => {
    io.stderr.write(
      `\nStopped waiting; query ${queryId} goes on.\n` +
        `  Follow it: ${conn.prefix} status ${queryId} --wait\n  Cancel it: ${conn.prefix} cancel ${queryId}\n`,
    );
  });
  try {
    const view = await waitForQuery(conn.client, queryId, { stream: io.stderr });
    reportFinished(view, conn, io, asJson);
  } finally {
    stop?.();
  }
}

/** The error as the user should read it, with the exit code of its kind. */
export function toCliError(error: unknown, conn: Connection | undefined): CliError {
  if (error instanceof CliError) return error;
  const endpoint = conn?.endpoint.url ?? 'the endpoint';
  if (error instanceof EndpointUnreachableError) {
    const local = conn?.endpoint.source === 'default';
    return new CliError(
      error.message,
      ExitCode.Unreachable,
      local
        ? `Nothing answers at the local runtime's default address. Start it with \`npm start\`, or use a deployed stack: --endpoint <ApiUrl>, ${ENDPOINT_ENV}, or --stack [name].`
        : `Check the URL (${conn?.endpoint.source === 'env' ? ENDPOINT_ENV : 'the endpoint'}) and your network; for a deployed stack it is the ApiUrl output, with the stage.`,
    );
  }
  if (error instanceof UnexpectedResponseError) {
    return new CliError(
      error.message,
      ExitCode.Unreachable,
      `Is ${endpoint} an athena-wlm API? On AWS the URL includes the stage, for example .../prod.`,
    );
  }
  if (error instanceof ApiError) {
    const { status, body } = error;
    if (status === 401 || status === 403) {
      return new CliError(
        `${endpoint} refused the request (HTTP ${status}): ${body.message}`,
        ExitCode.Unreachable,
        conn && !conn.signed
          ? 'The endpoint wants signed requests: drop --no-sign (https endpoints are signed by default) and configure AWS credentials.'
          : "Check that your credentials are allowed this route and class (each class has its own IAM managed policy), that the URL includes the stage, and that the request's clock is right.",
      );
    }
    if (status === 429 || status >= 500) {
      return new CliError(
        `The API could not answer (HTTP ${status}): ${body.message}`,
        ExitCode.Unreachable,
        status === 429
          ? 'It is throttling requests; try again in a moment.'
          : 'Try again; if it keeps failing, ask the operator to look at the API logs.',
      );
    }
    const routeMissing = status === 404 && body.queryId === undefined && !('workgroups' in body);
    if (routeMissing || status === 405) {
      return new CliError(
        `${error.request}: ${body.message}`,
        ExitCode.Unreachable,
        `Is ${endpoint} an athena-wlm API of this version? On AWS the URL includes the stage, for example .../prod.`,
      );
    }
    const fields = body.errors?.length
      ? `\n${body.errors.map((e) => `  ${e.field}: ${e.problem}`).join('\n')}`
      : '';
    return new CliError(
      `${body.errors?.length ? 'The API refused the submission.' : body.message}${fields}`,
      ExitCode.QueryFailed,
      status === 400 ? 'Fix the request and try again.' : undefined,
    );
  }
  return new CliError(`Unexpected error: ${(error as Error)?.stack ?? String(error)}`, ExitCode.QueryFailed);
}

/** Builds the commander program; `state.conn` is set once a command has connected. */
function buildProgram(io: CliIo, state: { conn?: Connection }): Command {
  const program = new Command('athena-wlm')
    .description(
      'Run Amazon Athena queries through athena-wlm: submit to a workload class, follow, read rows, cancel, list.\n' +
        `Endpoint: --endpoint, $${ENDPOINT_ENV}, --stack (ApiUrl output), else ${DEFAULT_ENDPOINT} (npm start).`,
    )
    .version(packageVersion())
    .option('-e, --endpoint <url>', `API base URL, with the stage on AWS (env ${ENDPOINT_ENV})`)
    .option(
      '--stack [name]',
      `read the endpoint from the ApiUrl output of a deployed stack (name ${DEFAULT_STACK})`,
    )
    .option('--region <region>', 'AWS region to sign for (default: from the endpoint host, then AWS_REGION)')
    .option('--profile <name>', 'AWS profile to take credentials from (default chain otherwise)')
    .option('--sign', 'sign requests with SigV4 for execute-api (the default for https endpoints)')
    .option('--no-sign', 'send requests unsigned (the default for http endpoints)')
    .option('--json', "print the API's JSON answer instead of text")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  const connected = async (command: Command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    state.conn = await connect(options, io);
    return { conn: state.conn, asJson: options.json === true };
  };

  program
    .command('submit')
    .description('queue a query; without --class it goes to the default class (POST /athena/query)')
    .argument('<sql>', 'the SQL (quoted), @file.sql, or - for standard input')
    .option('-c, --class <class>', 'workload class to submit to (see `athena-wlm classes`)')
    .addOption(classAlias())
    .option('-d, --database <name>', 'Glue database (default "default")')
    .option('--catalog <name>', 'data catalog (default AwsDataCatalog)')
    .option('--query-id <id>', 'your id for the query; resubmitting with the same id never runs it twice')
    .option('--user-id <label>', 'who asked, kept on the record')
    .option('-p, --param <value>', 'a value for a ? placeholder, in order (repeat the flag)', collect)
    .option('--wait', 'wait until the query finishes, showing progress; exit 1 if it FAILED or was CANCELLED')
    .action(async (sqlArgument: string, options, command: Command) => {
      const sql = await readSql(sqlArgument, io);
      const { conn, asJson } = await connected(command);
      const body: SubmissionBody = {
        query: sql,
        ...(options.queryId ? { queryId: options.queryId } : {}),
        ...(options.database ? { database: options.database } : {}),
        ...(options.catalog ? { catalog: options.catalog } : {}),
        ...(options.userId ? { userId: options.userId } : {}),
        ...(options.param ? { executionParameters: options.param } : {}),
      };
      const className: string | undefined = options.class ?? options.workgroup;
      const accepted = await conn.client.submit(body, className);
      const where = className ? `class ${className}` : 'the default class';
      if (!options.wait) {
        io.stdout.write(asJson ? json(accepted) : `${accepted.queryId}\n`);
        io.stderr.write(`Queued in ${where}. Follow it: ${conn.prefix} status ${accepted.queryId} --wait\n`);
        return;
      }
      if (!asJson) io.stdout.write(`${accepted.queryId}\n`);
      io.stderr.write(`Queued ${accepted.queryId} in ${where}.\n`);
      await waitAndReport(conn, accepted.queryId, io, asJson);
    });

  program
    .command('status')
    .description("show a query's status, reason, timings and Athena ids")
    .argument('<queryId>')
    .option('--wait', 'wait until the query finishes; exit 1 if it FAILED or was CANCELLED')
    .action(async (queryId: string, options, command: Command) => {
      const { conn, asJson } = await connected(command);
      if (options.wait) {
        await waitAndReport(conn, queryId, io, asJson);
        return;
      }
      const view = await conn.client.getQuery(queryId);
      io.stdout.write(asJson ? json(view) : renderView(view));
    });

  program
    .command('results')
    .description('print the rows of a SUCCEEDED query')
    .argument('<queryId>')
    .addOption(new Option('-f, --format <format>', 'output format').choices(RESULT_FORMATS).default('table'))
    .option('-n, --max-results <n>', 'rows per page (1 to 1000; the API default is 100)', wholeNumber(1000))
    .option('--next-token <token>', 'continue from where a previous page stopped')
    .option('--all', 'read every page (for large results prefer the CSV link)')
    .action(async (queryId: string, options, command: Command) => {
      const { conn } = await connected(command);
      const format = options.format as ResultFormat;
      const maxResults: number | undefined = options.maxResults ?? (options.all ? 1000 : undefined);
      let page = await conn.client.results(queryId, { maxResults, nextToken: options.nextToken });
      const rows: Row[] = [...page.rows];
      while (options.all && page.nextToken) {
        page = await conn.client.results(queryId, { maxResults, nextToken: page.nextToken });
        rows.push(...page.rows);
      }
      io.stdout.write(renderResults(format, page.columns, rows));
      if (format === 'table') io.stderr.write(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
      if (page.nextToken) {
        io.stderr.write(
          `More rows: ${conn.prefix} results ${queryId} --next-token '${page.nextToken}'${options.maxResults ? ` -n ${options.maxResults}` : ''} (or --all)\n`,
        );
      }
      if (page.downloadUrl) {
        const expires = page.downloadUrlExpiresAt ? ` (link expires ${page.downloadUrlExpiresAt})` : '';
        io.stderr.write(`Whole result as CSV: ${page.downloadUrl}${expires}\n`);
      }
    });

  program
    .command('cancel')
    .description('cancel a query wherever it is: queued, waiting for a slot, deferred or running')
    .argument('<queryId>')
    .action(async (queryId: string, _options, command: Command) => {
      const { conn, asJson } = await connected(command);
      const cancelled = await conn.client.cancel(queryId);
      io.stdout.write(
        asJson ? json(cancelled) : `Cancelled ${cancelled.queryId} (it was ${cancelled.previousStatus}).\n`,
      );
    });

  program
    .command('list')
    .description('recent queries, newest first')
    .option('-c, --class <class>', 'only this workload class')
    .addOption(classAlias())
    .option('-s, --status <status>', `only this status (${QUERY_STATUSES.join(', ')})`, queryStatus)
    .option('-u, --user-id <label>', 'only queries with this userId')
    .option('-l, --limit <n>', 'how many (1 to 100; the API default is 25)', wholeNumber(100))
    .option('--next-token <token>', 'the next page of a previous list')
    .action(async (options, command: Command) => {
      const { conn, asJson } = await connected(command);
      const page = await conn.client.list({
        ...classFilter(options.class ?? options.workgroup),
        status: options.status,
        userId: options.userId,
        limit: options.limit,
        nextToken: options.nextToken,
      });
      if (asJson) {
        io.stdout.write(json(page));
        return;
      }
      if (page.items.length === 0) {
        io.stderr.write('No queries match.\n');
      } else {
        io.stdout.write(
          renderTextTable(
            ['QUERY ID', 'CLASS', 'STATUS', 'SUBMITTED', 'ELAPSED', 'SQL'],
            page.items.map((q) => [
              q.queryId,
              classOf(q) ?? '',
              q.status,
              q.submittedAt,
              formatDuration(q.elapsedMs),
              summarizeSql(q.query, 60),
            ]),
            [false, false, false, false, true, false],
          ),
        );
      }
      if (page.nextToken) {
        io.stderr.write(`More: add --next-token '${page.nextToken}' to the same command.\n`);
      }
    });

  program
    .command('classes')
    .description('workload classes with their slots in use, limits, and queued and waiting counts')
    .action(async (_options, command: Command) => {
      const { conn, asJson } = await connected(command);
      const body = await conn.client.workgroups();
      if (asJson) {
        io.stdout.write(json(body));
        return;
      }
      const capacity = body.capacity !== undefined ? ` of ${body.capacity}` : '';
      const quota = body.quota !== undefined ? `quota ${body.quota}, ` : '';
      io.stdout.write(
        `Slots in use: ${body.slotsInUse}${capacity} (${quota}headroom ${body.headroom}). Default class: ${body.defaultClass}.\n\n`,
      );
      io.stdout.write(
        renderTextTable(
          [
            'CLASS',
            'IN USE',
            'GUARANTEED',
            'MAX',
            'QUEUED',
            'WAITING',
            'DEFERRED',
            'TIMEOUT',
            'ATHENA WORKGROUP',
          ],
          body.classes.map((c) => [
            c.name,
            String(c.slotsInUse),
            String(c.guaranteedSlots),
            String(c.maxSlots),
            String(c.queued),
            String(c.waitingForSlot),
            String(c.deferred),
            `${c.timeoutMinutes}m`,
            c.athenaWorkGroup,
          ]),
          [false, true, true, true, true, true, true, true, false],
        ),
      );
    });

  return program;
}

/** Runs the CLI with `argv` (without node and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  const state: { conn?: Connection } = {};
  const program = buildProgram(io, state);
  // `--stack status x` would take the command as the stack's name: there it means the default stack.
  const commands = new Set(program.commands.map((c) => c.name()));
  const args = argv.map((arg, i) =>
    arg === '--stack' && commands.has(argv[i + 1] ?? '') ? `--stack=${DEFAULT_STACK}` : arg,
  );
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.Usage;
    }
    await program.parseAsync(args, { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end this way too, with exit code 0; commander has printed the rest.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const failure = toCliError(error, state.conn);
    io.stderr.write(`athena-wlm: ${failure.message}\n`);
    if (failure.hint) io.stderr.write(`${failure.hint.replace(/^/gm, '  ')}\n`);
    return failure.exitCode;
  }
}
