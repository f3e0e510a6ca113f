import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  NoSuchResourceException,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ServiceQuotaReader } from '../../functions/adapters/aws/service-quota';

const quotas = mockClient(ServiceQuotasClient);

beforeEach(() => quotas.reset());

describe('ServiceQuotaReader', () => {
  it('reads the applied Active DML quota and reuses it for 5 minutes', async () => {
    // Prepare
    let now = new Date('2026-01-01T12:00:00Z');
    quotas
      .on(GetServiceQuotaCommand)
      .resolvesOnce({ Quota: { Value: 150 } })
      .resolvesOnce({ Quota: { Value: 200 } });
    const reader = new ServiceQuotaReader(new ServiceQuotasClient({}), () => now);
    // Act
    const first = await reader.activeDmlQueries();
    now = new Date('2026-01-01T12:04:59Z');
    const cached = await reader.activeDmlQueries();
    now = new Date('2026-01-01T12:05:01Z');
    const fresh = await reader.activeDmlQueries();
    // Assess
    expect([first, cached, fresh]).toEqual([150, 150, 200]);
    expect(quotas).toHaveReceivedCommandTimes(GetServiceQuotaCommand, 2);
    expect(quotas).toHaveReceivedCommandWith(GetServiceQuotaCommand, {
      ServiceCode: 'athena',
      QuotaCode: 'L-FC5F6546',
    });
  });

  it('falls back to the AWS default when the account never changed the quota', async () => {
    quotas
      .on(GetServiceQuotaCommand)
      .rejects(new NoSuchResourceException({ message: 'no applied quota', $metadata: {} }));
    quotas.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { Value: 25 } });
    await expect(new ServiceQuotaReader(new ServiceQuotasClient({})).activeDmlQueries()).resolves.toBe(25);
    expect(quotas).toHaveReceivedCommandWith(GetAWSDefaultServiceQuotaCommand, {
      ServiceCode: 'athena',
      QuotaCode: 'L-FC5F6546',
    });
  });

  it('lets access errors through', async () => {
    quotas.on(GetServiceQuotaCommand).rejects(new Error('AccessDenied'));
    await expect(new ServiceQuotaReader(new ServiceQuotasClient({})).activeDmlQueries()).rejects.toThrow(
      'AccessDenied',
    );
    expect(quotas).not.toHaveReceivedCommand(GetAWSDefaultServiceQuotaCommand);
  });

  it('keeps the last good value when a later read fails, and tries again a minute later', async () => {
    let now = new Date('2026-01-01T12:00:00Z');
    quotas
      .on(GetServiceQuotaCommand)
      .resolvesOnce({ Quota: { Value: 150 } })
      .rejectsOnce(new Error('ThrottlingException'))
      .resolvesOnce({ Quota: { Value: 200 } });
    const stale: [string, number][] = [];
    const reader = new ServiceQuotaReader(
      new ServiceQuotasClient({}),
      () => now,
      (error, last) => stale.push([(error as Error).message, last]),
    );
    expect(await reader.activeDmlQueries()).toBe(150);
    now = new Date('2026-01-01T12:06:00Z');
    expect(await reader.activeDmlQueries()).toBe(150);
    now = new Date('2026-01-01T12:06:30Z');
    expect(await reader.activeDmlQueries()).toBe(150);
    expect(quotas).toHaveReceivedCommandTimes(GetServiceQuotaCommand, 2);
    now = new Date('2026-01-01T12:07:01Z');
    expect(await reader.activeDmlQueries()).toBe(200);
    expect(stale).toEqual([['ThrottlingException', 150]]);
  });
});
