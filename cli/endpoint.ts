import { CliError, ExitCode } from './errors';

/** Where the local runtime (`npm start`) listens unless told otherwise. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';
/** Environment variable with the API's base URL. */
export const ENDPOINT_ENV = 'ATHENA_WLM_ENDPOINT';
/** The stack `--stack` reads when given no name. */
export const DEFAULT_STACK = 'AthenaWlm';
/** The stack output that holds the API's base URL (with its stage). */
export const API_URL_OUTPUT = 'ApiUrl';
/** Package that reads stack outputs; optional, so it is loaded only when `--stack` is used. */
export const CLOUDFORMATION_PACKAGE: string = '@aws-sdk/client-cloudformation';

export interface EndpointOptions {
  /** `--endpoint`. */
  readonly endpoint?: string;
  /** `--stack [name]`: true when given without a name. */
  readonly stack?: string | boolean;
  readonly region?: string;
  readonly profile?: string;
}

export interface ResolvedEndpoint {
  readonly url: string;
  readonly source: 'flag' | 'env' | 'stack' | 'default';
}

/** Reads a stack's outputs (CloudFormation DescribeStacks). */
export type StackOutputsReader = (
  stack: string,
  aws: { readonly region?: string; readonly profile?: string },
) => Promise<Readonly<Record<string, string>>>;

/** Checks an endpoint URL and drops its trailing slash. */
export function parseEndpointUrl(text: string, from: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(
      `${from} '${text}' is not a URL.`,
      ExitCode.Usage,
      `Give the API's base URL, for example ${DEFAULT_ENDPOINT} or https://abc123.execute-api.eu-west-1.amazonaws.com/prod`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${from} '${text}' is not an http(s) URL.`, ExitCode.Usage);
  }
  if (url.search || url.hash) {
    throw new CliError(
      `${from} '${text}' has a query or fragment; give the API's base URL only.`,
      ExitCode.Usage,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * The API's base URL, from the first of: `--endpoint`, `$ATHENA_WLM_ENDPOINT`, the `ApiUrl` output of
 * `--stack` (default name AthenaWlm), or the local runtime's default address.
 */
export async function resolveEndpoint(
  options: EndpointOptions,
  context: { readonly env: NodeJS.ProcessEnv; readonly readStackOutputs?: StackOutputsReader },
): Promise<ResolvedEndpoint> {
  if (options.endpoint) return { url: parseEndpointUrl(options.endpoint, '--endpoint'), source: 'flag' };
  const fromEnv = context.env[ENDPOINT_ENV];
  if (fromEnv) return { url: parseEndpointUrl(fromEnv, ENDPOINT_ENV), source: 'env' };
  if (options.stack) {
    const stack = options.stack === true ? DEFAULT_STACK : options.stack;
    const read = context.readStackOutputs ?? readStackOutputsWithSdk;
    const outputs = await read(stack, { region: options.region, profile: options.profile });
    const url = outputs[API_URL_OUTPUT];
    if (!url) {
      throw new CliError(
        `Stack ${stack} has no ${API_URL_OUTPUT} output (outputs: ${Object.keys(outputs).join(', ') || 'none'}).`,
        ExitCode.Unreachable,
        'Is it an athena-wlm stack, and is its deployment finished? Name the stack with --stack <name>, or pass --endpoint.',
      );
    }
    return { url: parseEndpointUrl(url, `Output ${API_URL_OUTPUT} of stack ${stack}`), source: 'stack' };
  }
  return { url: DEFAULT_ENDPOINT, source: 'default' };
}

/** How to get the URL by hand when the CLI cannot. */
function describeStacksHint(stack: string): string {
  return (
    `Pass the URL with --endpoint or ${ENDPOINT_ENV}; get it with:\n` +
    `  aws cloudformation describe-stacks --stack-name ${stack} ` +
    `--query "Stacks[0].Outputs[?OutputKey=='${API_URL_OUTPUT}'].OutputValue" --output text`
  );
}

interface CloudFormationModule {
  CloudFormationClient: new (config: {
    region?: string;
    profile?: string;
  }) => {
    send(
      command: unknown,
    ): Promise<{ Stacks?: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }[] }>;
  };
  DescribeStacksCommand: new (input: { StackName: string }) => unknown;
}

/** DescribeStacks with the AWS SDK, loaded on first use because few commands need it. */
export const readStackOutputsWithSdk: StackOutputsReader = async (stack, aws) => {
  let sdk: CloudFormationModule;
  try {
    sdk = (await import(CLOUDFORMATION_PACKAGE)) as CloudFormationModule;
  } catch {
    throw new CliError(
      `Reading the endpoint from stack ${stack} needs the package ${CLOUDFORMATION_PACKAGE}, which is not installed.`,
      ExitCode.Unreachable,
      describeStacksHint(stack),
    );
  }
  const client = new sdk.CloudFormationClient({
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.profile ? { profile: aws.profile } : {}),
  });
  try {
    const answer = await client.send(new sdk.DescribeStacksCommand({ StackName: stack }));
    const outputs = answer.Stacks?.[0]?.Outputs ?? [];
    return Object.fromEntries(
      outputs.filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey, o.OutputValue]),
    ) as Record<string, string>;
  } catch (error) {
    throw new CliError(
      `Could not read the outputs of stack ${stack}: ${(error as Error).message}`,
      ExitCode.Unreachable,
      `Check the stack name, region (--region) and credentials (--profile). ${describeStacksHint(stack)}`,
    );
  }
};
