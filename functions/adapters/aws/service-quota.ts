import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import type { Clock } from '../../core/ports';

/** Service Quotas code of Athena's Active DML queries quota. */
export const ACTIVE_DML_QUOTA = { serviceCode: 'athena', quotaCode: 'L-FC5F6546' } as const;

/** How long a read quota is reused by one container. */
export const QUOTA_CACHE_MS = 5 * 60_000;

/**
 * The account's live Active DML query quota from Service Quotas, read at most once per 5 minutes per
 * container. An account that never had the quota changed has no applied value
 * (NoSuchResourceException), so the AWS default is read instead. A read that fails after a good one
 * keeps the last good value (reported to `onStale`), so a Service Quotas outage or throttle never
 * stops admission; only a container that never read the quota lets the error through.
 */
export class ServiceQuotaReader {
  private cached?: { readonly value: number; readonly at: number };

  constructor(
    private readonly client: ServiceQuotasClient,
    private readonly clock: Clock = () => new Date(),
    private readonly onStale: (error: unknown, lastGood: number) => void = () => {},
  ) {}

  async activeDmlQueries(): Promise<number> {
    const now = this.clock().getTime();
    if (this.cached && now - this.cached.at < QUOTA_CACHE_MS) return this.cached.value;
    let value: number;
    try {
      value = await this.read();
    } catch (error) {
      if (!this.cached) throw error;
      this.onStale(error, this.cached.value);
      // Tried again after a minute, not at every pass.
      this.cached = { value: this.cached.value, at: now - QUOTA_CACHE_MS + 60_000 };
      return this.cached.value;
    }
    this.cached = { value, at: now };
    return value;
  }

  private async read(): Promise<number> {
    const input = { ServiceCode: ACTIVE_DML_QUOTA.serviceCode, QuotaCode: ACTIVE_DML_QUOTA.quotaCode };
    let value: number | undefined;
    try {
      value = (await this.client.send(new GetServiceQuotaCommand(input))).Quota?.Value;
    } catch (error) {
      if ((error as { name?: string }).name !== 'NoSuchResourceException') throw error;
      value = (await this.client.send(new GetAWSDefaultServiceQuotaCommand(input))).Quota?.Value;
    }
    if (value === undefined || !Number.isFinite(value) || value < 1) {
      throw new Error(
        `Service Quotas returned no usable value for Athena's Active DML queries quota (${ACTIVE_DML_QUOTA.quotaCode}); ` +
          'set quota.activeDmlQueries to a number in the config.',
      );
    }
    return Math.floor(value);
  }
}
