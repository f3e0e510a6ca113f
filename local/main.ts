import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../contracts/config';
import { DataDirError } from './data-dir';
import { DEFAULT_TIMEOUTS, PortInUseError } from './http/server';
import { DataFileError } from './sqlite-file';
import { startThreadedRuntime } from './threaded-runtime';

const USAGE = `Usage: npm start -- [--port 8787] [--host 127.0.0.1] [--data-dir DIR] [--config FILE] [--no-sample-data] [--latency-ms N]
       [--allowed-hosts NAME,...] [--allowed-origins ORIGIN,...] [--visibility-timeout S] [--request-timeout S]

Runs athena-wlm on this machine with no AWS account: the same API and state machine, with DuckDB for Athena.
  --port         port of the API and console (env PORT; 0 picks a free one)            default 8787
  --host         address to listen on (the local API has no authentication)           default 127.0.0.1
  --data-dir     where queues, ledger, executions, results and sample data persist    default .data/ in the project
  --config       a JSON config file (env ATHENA_WLM_CONFIG)                            default: the case-study classes
  --no-sample-data  skip generating alb_logs and sensor_readings on first start
  --latency-ms   artificial Athena queue and planning time per query, so quota effects show  default 0
  --visibility-timeout  seconds before a query message taken by a process that died is handled again  default 30
  --allowed-hosts    Host names answered besides localhost, 127.0.0.1, [::1] and --host (DNS rebinding guard)
  --allowed-origins  origins (http://name:port) whose web pages may call the API besides the console
  --request-timeout  seconds a client has to send a whole request (headers within 10 s at most)  default 30`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'no-sample-data': { type: 'boolean' },
      'latency-ms': { type: 'string' },
      'visibility-timeout': { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'request-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8787);
  const latencyMs = Number(values['latency-ms'] ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port must be 0 to 65535, not ${values.port}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new UsageError(`--latency-ms must be a number of ms, not ${values['latency-ms']}`);
  const visibilityTimeout =
    values['visibility-timeout'] === undefined ? undefined : Number(values['visibility-timeout']);
  if (
    visibilityTimeout !== undefined &&
    (!Number.isInteger(visibilityTimeout) || visibilityTimeout < 0 || visibilityTimeout > 43_200)
  )
    throw new UsageError(
      `--visibility-timeout must be a whole number of seconds from 0 to 43200, not ${values['visibility-timeout']}`,
    );
  const allowedOrigins = listOption(values['allowed-origins']);
  for (const origin of allowedOrigins ?? []) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin.replace(/\/$/, ''))
      throw new UsageError(`--allowed-origins takes origins such as http://localhost:3000, not ${origin}`);
  }
  const allowedHosts = listOption(values['allowed-hosts']);
  const requestTimeout =
    values['request-timeout'] === undefined ? undefined : Number(values['request-timeout']);
  if (requestTimeout !== undefined && !(requestTimeout >= 0.1 && requestTimeout <= 3600))
    throw new UsageError(`--request-timeout must be 0.1 to 3600 seconds, not ${values['request-timeout']}`);
  const dataDir = values['data-dir'] ?? process.env.ATHENA_WLM_DATA_DIR ?? join(__dirname, '..', '.data');

  const config = loadConfig(values.config ?? process.env.ATHENA_WLM_CONFIG);
  console.log(
    `athena-wlm: starting in ${dataDir} (first start generates the sample tables, a few seconds)...`,
  );
  const log = (message: string, fields?: Record<string, unknown>) =>
    console.error(`athena-wlm: ${message}`, fields ? JSON.stringify(fields) : '');
  const runtime = await startThreadedRuntime({
    dataDir,
    port,
    config,
    ...(values.host ? { host: values.host } : {}),
    ...(values['no-sample-data'] ? { sampleData: false as const } : {}),
    ...(allowedHosts ? { allowedHosts } : {}),
    ...(requestTimeout !== undefined
      ? {
          httpTimeouts: {
            requestMs: requestTimeout * 1000,
            headersMs: Math.min(DEFAULT_TIMEOUTS.headersMs, requestTimeout * 1000),
          },
        }
      : {}),
    ...(allowedOrigins ? { allowedOrigins } : {}),
    ...(visibilityTimeout !== undefined ? { visibilityTimeoutSeconds: visibilityTimeout } : {}),
    ...(latencyMs > 0 ? { latency: { queueMs: latencyMs / 2, planningMs: latencyMs / 2 } } : {}),
    log,
    onBackendExit: (error) => {
      log('the back end stopped; exiting (queued and running queries resume on the next start)', {
        error: error.stack ?? error.message,
      });
      process.exit(1);
    },
  });
  console.log(`athena-wlm is running at ${runtime.url}
  console:  ${runtime.url}/
  API:      POST ${runtime.url}/athena/query  |  POST ${runtime.url}/workgroups/{class}/queries  |  GET ${runtime.url}/queries/{id}
  OpenAPI:  ${runtime.url}/openapi.json
  classes:  ${Object.keys(config.classes).join(', ')} (default for /athena/query: ${config.defaultClass})
Press Ctrl+C to stop; queued and running queries resume on the next start.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('athena-wlm: stopping...');
    await runtime.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

class UsageError extends Error {}

/** A comma-separated option as a list (undefined when not given). */
function listOption(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

main().catch((error: unknown) => {
  const known =
    [ConfigError, PortInUseError, UsageError, DataFileError, DataDirError].some(
      (type) => error instanceof type,
    ) ||
    // The back end thread's start error arrives as its name and message.
    (error as Error).name === DataFileError.name;
  if (known) {
    console.error(`athena-wlm: ${(error as Error).message}`);
    if (error instanceof UsageError) console.error(USAGE);
  } else {
    // A user needs what went wrong, not where in our code; ATHENA_WLM_DEBUG=1 shows the stack.
    console.error(`athena-wlm: could not start: ${(error as Error).message ?? String(error)}`);
    if (process.env.ATHENA_WLM_DEBUG) console.error((error as Error).stack);
  }
  process.exit(1);
});
