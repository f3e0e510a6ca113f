import { parseConfig, type WlmConfig } from '../../../contracts/config';
import { ENV } from '../../../contracts/env';

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`Environment variable ${name} is not set; the stack sets it for this function.`);
  return value;
}

let cachedConfig: WlmConfig | undefined;

/** The config from the environment, parsed once per container. */
export function configFromEnv(): WlmConfig {
  cachedConfig ??= parseConfig(JSON.parse(requireEnv(ENV.config)), `${ENV.config} environment variable`);
  return cachedConfig;
}
