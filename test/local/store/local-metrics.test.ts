import { LocalMetrics } from '../../../local/store/local-metrics';
import { manualClock, tempDatabase } from './temp-db';

describe('LocalMetrics', () => {
  let store: ReturnType<typeof tempDatabase>;
  const clock = manualClock(Date.parse('2026-01-01T10:00:30.000Z'));
  beforeEach(() => {
    store = tempDatabase();
  });
  afterEach(() => store.close());

  it('aggregates values per minute and returns a gap-free series, oldest first', () => {
    const metrics = new LocalMetrics(store.db, { clock });
    metrics.count('StartQueryCount', 1, { className: 'fast' });
    metrics.count('StartQueryCount', 1, { className: 'long' });
    clock.advance(120_000);
    metrics.count('StartQueryCount', 2, { className: 'fast' });
    metrics.milliseconds('QueueWaitTime', 100);
    metrics.milliseconds('QueueWaitTime', 300);

    expect(metrics.series('StartQueryCount', 3)).toEqual([
      { minute: '2026-01-01T10:00:00.000Z', sum: 2, count: 2, min: 1, max: 1 },
      { minute: '2026-01-01T10:01:00.000Z', sum: 0, count: 0 },
      { minute: '2026-01-01T10:02:00.000Z', sum: 2, count: 1, min: 2, max: 2 },
    ]);
    expect(
      metrics.series('StartQueryCount', 3, { dimensions: { className: 'long' } }).map((p) => p.sum),
    ).toEqual([1, 0, 0]);
    expect(metrics.series('QueueWaitTime', 1)).toEqual([
      { minute: '2026-01-01T10:02:00.000Z', sum: 400, count: 2, min: 100, max: 300 },
    ]);
    expect(metrics.total('StartQueryCount', 1)).toBe(2);
  });

  it('keeps metrics across a reopen', () => {
    new LocalMetrics(store.db, { clock }).count('ThrottlingErrorCount');
    expect(new LocalMetrics(store.reopen(), { clock }).total('ThrottlingErrorCount', 1)).toBe(1);
  });
});
