import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { DEFAULT_CONFIG } from './defaults';
import { type WlmConfig, type WorkloadClassConfig, wlmConfigSchema } from './schema';

/** A config that does not validate; the message names every bad key. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = ['config', ...issue.path.map(String)].join('.');
  // A bad record key (a class name) carries the rule it broke in its nested issues.
  const nested = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : '';
  return `${key}: ${nested || issue.message}`;
}

/** Validates a config (defaults filled in) or throws a ConfigError naming each bad key. */
export function parseConfig(input: unknown, source = 'config'): WlmConfig {
  const result = wlmConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map(describeIssue);
  throw new ConfigError(`Invalid athena-wlm ${source}:\n  ${issues.join('\n  ')}`, issues);
}

/** Reads a JSON config file, or the defaults when no path is given. */
export function loadConfig(path?: string): WlmConfig {
  if (!path) return parseConfig(DEFAULT_CONFIG, 'default config');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read athena-wlm config ${path}: ${(error as Error).message}`, []);
  }
  return parseConfig(raw, `config file ${path}`);
}

/** Longest name prefix, the stage's suffix included (the longest resource names derived from it fit). */
const MAX_NAME_PREFIX = 24;

/**
 * The config of one stage: every name athena-wlm derives gets `-<stage>` (the name prefix and the
 * classes' explicit workgroup names), and the result holds no stage, so parsing it again (the functions
 * do) changes nothing.
 */
export function withStage(config: WlmConfig, stage: string | undefined): WlmConfig {
  if (!stage) return config;
  const namePrefix = `${config.namePrefix}-${stage}`;
  if (namePrefix.length > MAX_NAME_PREFIX) {
    const message = `config.stage: the name prefix with its stage, '${namePrefix}', is longer than ${MAX_NAME_PREFIX} characters; shorten namePrefix or the stage`;
    throw new ConfigError(`Invalid athena-wlm config:\n  ${message}`, [message]);
  }
  const classes = Object.fromEntries(
    Object.entries(config.classes).map(([name, c]) => [
      name,
      c.workgroupName ? { ...c, workgroupName: `${c.workgroupName}-${stage}` } : c,
    ]),
  );
  const { stage: _applied, ...rest } = config;
  return { ...rest, namePrefix, classes };
}

/** The Athena workgroup name of a class. */
export function workgroupNameOf(config: WlmConfig, className: string): string {
  return config.classes[className]?.workgroupName ?? `${config.namePrefix}-${className}`;
}

/** Alarm threshold in bytes for a data limit: expected usage plus its buffer. */
export function limitWithBuffer(limit: { expectedBytes: number; bufferPercent: number }): number {
  return Math.round(limit.expectedBytes * (1 + limit.bufferPercent / 100));
}

export type { WlmConfig, WorkloadClassConfig };
