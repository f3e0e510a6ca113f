import { resolve } from 'node:path';
import { DEFAULT_CONFIG, loadConfig, parseConfig, type WlmConfig } from '../contracts/config';

/** Reads one CDK context value (`-c key=value` or cdk.json), as `app.node.tryGetContext` does. */
export type ContextReader = (key: string) => unknown;

/** What `bin/athena-wlm.ts` builds the stack from. */
export interface AppSettings {
  readonly config: WlmConfig;
  /** The stage (`-c stage=` or config.stage); the stack name carries it. */
  readonly stage?: string;
  readonly stackName: string;
  /** `-c apiCloudWatchRole=false`: leave API Gateway's account logging role to the account's owners. */
  readonly apiCloudWatchRole: boolean;
}

/** A comma-separated context value (`-c dataBuckets=a,b`) or a list (cdk.json) as a list of strings. */
function listOf(value: unknown): string[] {
  if (value === undefined || value === '') return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * The settings of `cdk synth` / `cdk deploy`: the config file (`-c configFile=...` or
 * `$ATHENA_WLM_CONFIG`, resolved from the working directory because the user typed it), data buckets
 * added with `-c dataBuckets=a,b`, the stage (`-c stage=dev`, or config.stage: it suffixes the stack
 * name too), the stack name (`-c stackName=...`) and whether to see to API Gateway's account logging
 * role (`-c apiCloudWatchRole=false` to leave it alone). Throws a ConfigError that names the bad key.
 */
export function appSettings(context: ContextReader, env: NodeJS.ProcessEnv): AppSettings {
  const configFile = (context('configFile') as string | undefined) ?? env.ATHENA_WLM_CONFIG;
  const fromFile = configFile
    ? loadConfig(resolve(configFile))
    : parseConfig(DEFAULT_CONFIG, 'default config');
  const extraBuckets = listOf(context('dataBuckets'));
  const config = extraBuckets.length
    ? parseConfig(
        { ...fromFile, dataBuckets: [...new Set([...fromFile.dataBuckets, ...extraBuckets])] },
        'config with -c dataBuckets',
      )
    : fromFile;
  const apiCloudWatchRole = String(context('apiCloudWatchRole') ?? 'true').toLowerCase() !== 'false';
  const stage = (context('stage') as string | undefined) || config.stage;
  if (stage !== undefined) parseConfig({ ...config, stage }, '-c stage');
  const baseName = (context('stackName') as string | undefined) ?? 'AthenaWlm';
  return { config, stage, stackName: stage ? `${baseName}-${stage}` : baseName, apiCloudWatchRole };
}
