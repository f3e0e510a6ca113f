import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Command, Option } from 'commander';
import { ApiClient, ApiError, EndpointUnreachableError, UnexpectedResponseError } from './api-client';
import { createSigner, regionFromHost, shouldSign } from './aws-auth';
import {
  API_URL_OUTPUT,
  DEFAULT_STACK,
  parseEndpointUrl,
  readStackOutputsWithSdk,
  resolveEndpoint,
} from './endpoint';
import { CliError, ExitCode } from './errors';
import { cloudWatchMetrics, consoleMetrics } from './seed-metrics-readers';
import { REFERENCE_QUERY, runSmoke } from './smoke';

/** The stack output naming the metrics namespace of a deployed stage. */
const METRICS_NAMESPACE_OUTPUT = 'MetricsNamespace';

interface SmokeFlags {
  readonly endpoint?: string;
  readonly stack?: string | boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly class?: string;
  readonly sql: string;
  readonly database?: string;
  readonly metricsNamespace?: string;
  readonly metricsTimeout: number;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('smoke')
    .description(
      'Post-deploy check: submits the reference query to a class, follows it to its end, reads its rows and checks that the seed metrics counted it.',
    )
    .option('--endpoint <url>', 'API base URL (the local runtime, or a stage URL)')
    .option(
      '--stack [name]',
      `read the endpoint and metrics namespace from a deployed stack (default ${DEFAULT_STACK})`,
    )
    .option('--region <region>', 'AWS region of the stack')
    .option('--profile <profile>', 'AWS credentials profile')
    .option('--class <name>', "workload class to submit to (default: the API's default class)")
    .option('--sql <sql>', 'the query to run', REFERENCE_QUERY)
    .option('--database <name>', 'Glue database of the query')
    .option(
      '--metrics-namespace <ns>',
      'CloudWatch namespace when --endpoint names a deployed stage (default AthenaWLM)',
    )
    .addOption(
      new Option('--metrics-timeout <seconds>', 'longest wait for the metrics to count the run')
        .default(300)
        .argParser(Number),
    )
    .parse(argv, { from: 'user' });
  const flags = program.opts<SmokeFlags>();

  let url: string;
  let namespace = flags.metricsNamespace ?? 'AthenaWLM';
  if (flags.stack) {
    const stack = flags.stack === true ? DEFAULT_STACK : flags.stack;
    const outputs = await readStackOutputsWithSdk(stack, { region: flags.region, profile: flags.profile });
    if (!outputs[API_URL_OUTPUT])
      throw new CliError(`Stack ${stack} has no ${API_URL_OUTPUT} output.`, ExitCode.Unreachable);
    url = parseEndpointUrl(outputs[API_URL_OUTPUT], `Output ${API_URL_OUTPUT} of stack ${stack}`);
    namespace = outputs[METRICS_NAMESPACE_OUTPUT] ?? namespace;
  } else {
    url = (await resolveEndpoint({ endpoint: flags.endpoint }, { env: process.env })).url;
  }
  const signed = shouldSign(url, undefined);
  const api = new ApiClient({
    baseUrl: url,
    ...(signed ? { sign: await createSigner(url, { region: flags.region, profile: flags.profile }) } : {}),
  });
  const region = flags.region ?? regionFromHost(new URL(url).hostname);
  const metrics = signed
    ? cloudWatchMetrics(
        namespace,
        new CloudWatchClient({
          ...(region ? { region } : {}),
          ...(flags.profile ? { profile: flags.profile } : {}),
        }),
      )
    : consoleMetrics(url);
  process.stdout.write(`athena-wlm smoke check against ${url}\n`);
  const result = await runSmoke(api, metrics, process.stdout, {
    ...(flags.class ? { className: flags.class } : {}),
    query: flags.sql,
    ...(flags.database ? { database: flags.database } : {}),
    metricsTimeoutMs: flags.metricsTimeout * 1000,
    ...(signed ? {} : { pollMs: 500 }),
  });
  return result.passed ? ExitCode.Ok : ExitCode.QueryFailed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known =
      error instanceof CliError ||
      error instanceof ApiError ||
      error instanceof EndpointUnreachableError ||
      error instanceof UnexpectedResponseError;
    process.stderr.write(
      `FAILED: ${known ? (error as Error).message : String((error as Error).stack ?? error)}\n`,
    );
    if (error instanceof CliError && error.hint) process.stderr.write(`${error.hint}\n`);
    process.exit(error instanceof CliError ? error.exitCode : ExitCode.Unreachable);
  },
);
