import type { WlmConfig } from '../../contracts/config';
import { workgroupNameOf } from '../../contracts/config';
import { buildRunQueryInput, type RunQueryInput, type RunQuerySource } from '../../contracts/execution-input';

/**
 * The input of a query's attempt under a config: its class's Athena workgroup, and its place in line
 * with the queue time it has left (counted from its submission, or from now for a pre-empted query,
 * which had started and lost its slot through no fault of its own).
 */
export function runQueryInputFor(
  source: RunQuerySource & { readonly submittedAt: string },
  attempt: number,
  config: WlmConfig,
  now: Date,
  options: { readonly freshWait?: boolean } = {},
): RunQueryInput {
  const limitMs = (config.classes[source.className]?.maxQueueWaitMinutes ?? 0) * 60_000;
  const from = options.freshWait ? now.getTime() : Date.parse(source.submittedAt);
  const waitUntilMs = from + limitMs;
  return buildRunQueryInput(source, attempt, workgroupNameOf(config, source.className), {
    submittedAt: source.submittedAt,
    waitUntil: new Date(waitUntilMs).toISOString(),
    queueWaitSeconds: Math.max(1, Math.ceil((waitUntilMs - now.getTime()) / 1000)),
  });
}
