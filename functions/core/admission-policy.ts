import { slotsOf, type WlmConfig } from '../../contracts/config';

import type { ClassPolicy, DispatchPolicy } from './dispatch-policy';

/** The quota the policy plans with: the config's number, or the live Service Quotas value. */
export function quotaOf(config: WlmConfig, liveQuota?: number): number {
  const quota = typeof config.quota.activeDmlQueries === 'number' ? config.quota.activeDmlQueries : liveQuota;
  if (quota === undefined) {
    throw new Error("quota.activeDmlQueries is 'service-quotas' but no live quota value was given");
  }
  return quota;
}

/**
 * How long past its class's `timeoutMinutes` a query may still hold its slot: the reconciler, which
 * stops it, runs every minute, and the stop and the release take seconds more.
 */
export const TIME_LIMIT_SLACK_SECONDS = 120;

/**
 * The dispatch policy for a config and quota: capacity is the quota minus headroom, shares (`"50%"`)
 * become slots of that capacity, caps never exceed it, and guarantees that no longer fit (a live quota
 * smaller than the config was written for) shrink in proportion so that every class keeps its share.
 */
export function admissionPolicy(config: WlmConfig, liveQuota?: number): DispatchPolicy {
  const quota = quotaOf(config, liveQuota);
  const capacity = Math.max(0, quota - slotsOf(config.quota.headroom, quota));
  const entries = Object.entries(config.classes).map(([name, c]) => {
    const maxSlots = Math.min(capacity, Math.max(1, slotsOf(c.maxSlots, capacity)));
    return { name, c, maxSlots, guaranteedSlots: Math.min(maxSlots, slotsOf(c.guaranteedSlots, capacity)) };
  });
  const guaranteed = entries.reduce((sum, e) => sum + e.guaranteedSlots, 0);
  const scale = guaranteed > capacity ? capacity / guaranteed : 1;
  const classes: Record<string, ClassPolicy> = {};
  for (const { name, c, maxSlots, guaranteedSlots } of entries) {
    classes[name] = {
      guaranteedSlots: Math.floor(guaranteedSlots * scale),
      maxSlots,
      weight: c.schedulingWeight,
      preemptible: c.preemptible,
      holdSeconds: c.timeoutMinutes * 60 + TIME_LIMIT_SLACK_SECONDS,
      maxReclaimSeconds: c.maxReclaimSeconds,
    };
  }
  return { capacity, classes };
}
