import type { WlmConfig } from '../../lib/config';
import type { AdmissionPolicy } from './admission';

/**
 * The admission policy for a config: capacity is the quota (from config, or the live Service Quotas
 * value when the config says so) minus headroom; class caps never exceed capacity.
 */
export function admissionPolicy(config: WlmConfig, liveQuota?: number): AdmissionPolicy {
  const quota = typeof config.quota.activeDmlQueries === 'number' ? config.quota.activeDmlQueries : liveQuota;
  if (quota === undefined) {
    throw new Error("quota.activeDmlQueries is 'service-quotas' but no live quota value was given");
  }
  const capacity = Math.max(0, quota - config.quota.headroom);
  const classes = Object.fromEntries(
    Object.entries(config.classes).map(([name, c]) => [
      name,
      { guaranteedSlots: Math.min(c.guaranteedSlots, capacity), maxSlots: Math.min(c.maxSlots, capacity) },
    ]),
  );
  return { capacity, classes };
}
