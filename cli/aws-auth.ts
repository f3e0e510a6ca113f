import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from '@smithy/core/config';
import type { RequestSigner } from './api-client';
import { CliError, ExitCode } from './errors';
import { signRequest } from './sign-request';

/** `abc123.execute-api.eu-west-1.amazonaws.com` (or .amazonaws.com.cn) -> `eu-west-1`. */
export function regionFromHost(hostname: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(hostname)?.[1];
}

/**
 * Whether requests to this endpoint are signed: `--sign`/`--no-sign` decide when given; otherwise https
 * endpoints (a deployed stack, IAM-authorized) are signed and plain http ones (the local runtime) are not.
 */
export function shouldSign(url: string, flag: boolean | undefined): boolean {
  if (flag !== undefined) return flag;
  return new URL(url).protocol === 'https:';
}

const NO_CREDENTIALS_HINT =
  'Configure AWS credentials the usual way (aws configure, aws sso login, AWS_PROFILE or --profile, ' +
  'or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or use --no-sign for an endpoint without IAM auth.';

async function defaultRegion(profile: string | undefined): Promise<string | undefined> {
  try {
    return await loadConfig(NODE_REGION_CONFIG_OPTIONS, {
      ...NODE_REGION_CONFIG_FILE_OPTIONS,
      ...(profile ? { profile } : {}),
    })();
  } catch {
    return undefined;
  }
}

/**
 * A SigV4 signer for service execute-api with the default credential chain. The region comes from
 * `--region`, else the execute-api host name, else the default chain (AWS_REGION, the profile's region).
 */
export async function createSigner(
  endpoint: string,
  aws: { readonly region?: string; readonly profile?: string },
): Promise<RequestSigner> {
  const region =
    aws.region ?? regionFromHost(new URL(endpoint).hostname) ?? (await defaultRegion(aws.profile));
  if (!region) {
    throw new CliError(
      `Cannot tell which AWS region to sign requests to ${endpoint} for.`,
      ExitCode.Unreachable,
      'Pass --region <region> or set AWS_REGION.',
    );
  }
  const provider = fromNodeProviderChain(aws.profile ? { profile: aws.profile } : {});
  const credentials = async () => {
    try {
      return await provider();
    } catch (error) {
      throw new CliError(
        `No usable AWS credentials to sign requests to ${endpoint}: ${(error as Error).message}`,
        ExitCode.Unreachable,
        NO_CREDENTIALS_HINT,
      );
    }
  };
  return (request) => signRequest(request, { credentials, region });
}
