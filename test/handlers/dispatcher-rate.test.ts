import './support/aws-env';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import 'aws-sdk-client-mock-jest';
import { INVOCATION_BUDGET_MS } from '../../functions/core/dispatcher';
import type { WakeEvent } from '../../functions/core/wake-event';
import { dispatcherHarness } from './support/dispatcher-harness';

/** Two starts per second (admission.startsPerSecond): the container keeps its start rate across invocations. */
const h = dispatcherHarness(
  {
    quota: { activeDmlQueries: 'service-quotas', headroom: 0 },
    defaultClass: 'adhoc',
    classes: {
      etl: { guaranteedSlots: 1, maxSlots: 2, maxReclaimSeconds: 60 },
      adhoc: { guaranteedSlots: 0, maxSlots: 6, preemptible: true },
    },
    admission: { startsPerSecond: 2 },
  },
  6,
);

describe('dispatcher handler at the start rate', () => {
  // First in the file: the container's start window is empty (2 starts a second).
  it('tells a query held by its class cap so, not that it waits for the start rate', async () => {
    const events: WakeEvent[] = [];
    for (let i = 1; i <= 3; i++) events.push(await h.entering(`e${i}`, 'etl', `2026-01-01T00:00:0${i}.000Z`));
    await h.wakeUp(...events);
    expect(h.admittedTokens()).toEqual(['token-e1', 'token-e2']);
    expect((await h.ledger.get('e3'))?.reason).toContain('etl is at its cap of 2 running queries');
  });

  it('keeps the start rate across passes, then leaves a sweep for the next invocation', async () => {
    // Prepare: capacity for 6, 6 waiting, 2 starts per second.
    const events: WakeEvent[] = [];
    for (let i = 0; i < 6; i++) {
      const cls = i < 2 ? 'etl' : 'adhoc';
      events.push(await h.entering(`q${i}`, cls, `2026-01-01T00:00:0${i}.000Z`));
    }
    const times: number[] = [];
    h.sfn.on(SendTaskSuccessCommand).callsFake(() => {
      times.push(Date.now());
      return {};
    });
    // Act
    const began = Date.now();
    await h.wakeUp(...events);
    const took = Date.now() - began;
    // Assess: two starts, and two more once the first two leave the one-second window if the first pass
    // left room in the budget (on a loaded machine it may not; the pacing across passes is the core's
    // own unit test), never faster than the rate, and a sweep left for the rest.
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.length).toBeLessThan(6);
    for (let i = 2; i < times.length; i++) expect(times[i] - times[i - 2]).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(INVOCATION_BUDGET_MS + 1000);
    expect(h.sentWakes()).toEqual([{ type: 'sweep', why: expect.stringContaining('start rate') }]);
    // The rest still wait in line, and their records say it is only the rate.
    const left = await h.dispatch.heads('adhoc', 10);
    expect(left.length).toBe(6 - times.length);
    expect((await h.ledger.get(left[0].queryId))?.reason).toContain('StartQueryExecution rate');
  });
});
