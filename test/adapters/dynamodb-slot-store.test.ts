import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { documentClient } from '../../functions/adapters/aws/dynamodb-ledger';
import { DynamoDbSlotStore, SlotContentionError } from '../../functions/adapters/aws/dynamodb-slot-store';
import type { AdmissionPolicy } from '../../functions/core/admission';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-01-01T12:00:00.000Z');
const policy: AdmissionPolicy = {
  capacity: 10,
  classes: { etl: { guaranteedSlots: 4, maxSlots: 8 }, explore: { guaranteedSlots: 1, maxSlots: 2 } },
};
const sleeps: number[] = [];

function store(maxAttempts = 8) {
  return new DynamoDbSlotStore(documentClient(), {
    tableName: 'slots',
    clock: () => NOW,
    maxAttempts,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
}

const holder = (className: string) => ({ className, acquiredAt: '2026-01-01T11:00:00.000Z' });
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
  sleeps.length = 0;
});

describe('DynamoDbSlotStore.acquire', () => {
  it('creates the slot item with the first holder when it does not exist yet', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    // Act
    const result = await store().acquire('q1', 'etl', policy);
    // Assess
    expect(result).toEqual({ admitted: true, usage: { etl: 1 } });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { id: 'slots' }, ConsistentRead: true });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: {
        id: 'slots',
        holders: { q1: { className: 'etl', acquiredAt: NOW.toISOString() } },
        waiting: {},
        version: 1,
      },
      ConditionExpression: 'attribute_not_exists(#id)',
    });
  });

  it('adds a holder with a write conditional on the version it read', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { id: 'slots', holders: { a: holder('etl') }, version: 7 } });
    ddb.on(UpdateCommand).resolves({});
    // Act
    const result = await store().acquire('q1', 'etl', policy);
    // Assess
    expect(result).toEqual({ admitted: true, usage: { etl: 2 } });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'slots' },
      UpdateExpression: 'SET #version = :next, #holders.#holder = :holder',
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#holders': 'holders', '#holder': 'q1', '#version': 'version' },
      ExpressionAttributeValues: {
        ':holder': { className: 'etl', acquiredAt: NOW.toISOString() },
        ':next': 8,
        ':version': 7,
      },
    });
  });

  it('retries the whole read-decide-write when another starter wrote first, then succeeds', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { id: 'slots', holders: { a: holder('explore') }, version: 1 } })
      .resolvesOnce({
        Item: { id: 'slots', holders: { a: holder('explore'), b: holder('etl') }, version: 2 },
      });
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    // Act
    const result = await store().acquire('q1', 'explore', policy);
    // Assess
    expect(result).toEqual({ admitted: true, usage: { explore: 2, etl: 1 } });
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2);
    const second = ddb.commandCalls(UpdateCommand)[1].args[0].input;
    expect(second.ExpressionAttributeValues).toMatchObject({ ':version': 2, ':next': 3 });
    expect(sleeps).toHaveLength(1);
  });

  it('decides again on the fresh read after a conflict (a class that filled up meanwhile is refused)', async () => {
    // Prepare
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { id: 'slots', holders: { a: holder('explore') }, version: 1 } })
      .resolvesOnce({
        Item: { id: 'slots', holders: { a: holder('explore'), b: holder('explore') }, version: 2 },
      });
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    // Act
    const result = await store().acquire('q1', 'explore', policy);
    // Assess: the second write only puts the query in line, with no holder.
    expect(result.admitted).toBe(false);
    const second = ddb.commandCalls(UpdateCommand)[1].args[0].input;
    expect(second.UpdateExpression).toBe('SET #version = :next, #waiting = :waiting');
    expect(second.ExpressionAttributeValues).not.toHaveProperty(':holder');
  });

  it('gives up with a clear error after the bounded number of conflicts', async () => {
    ddb.on(GetCommand).resolves({ Item: { id: 'slots', holders: {}, version: 1 } });
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store(3).acquire('q1', 'etl', policy)).rejects.toBeInstanceOf(SlotContentionError);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 3);
    expect(sleeps).toHaveLength(2);
  });

  it('admits a query that already holds a slot again without writing (idempotent)', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: { id: 'slots', holders: { q1: holder('explore'), a: holder('explore') }, version: 4 },
    });
    // Act
    const result = await store().acquire('q1', 'explore', policy);
    // Assess
    expect(result).toEqual({ admitted: true, usage: { explore: 2 } });
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses with the reason when the class is at its cap, and puts the query in line', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: { id: 'slots', holders: { a: holder('explore'), b: holder('explore') }, waiting: {}, version: 4 },
    });
    ddb.on(UpdateCommand).resolves({});
    // Act
    const result = await store().acquire('q1', 'explore', policy, {
      submittedAt: '2026-01-01T11:59:00.000Z',
      ticketTtlMs: 90_000,
    });
    // Assess
    expect(result).toEqual({
      admitted: false,
      limitingFactor: 'class-cap',
      reason: 'explore is at its cap of 2 running queries',
      ahead: 0,
      usage: { explore: 2 },
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #version = :next, #waiting.#ticket = :ticket',
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version', '#waiting': 'waiting', '#ticket': 'q1' },
      ExpressionAttributeValues: {
        ':next': 5,
        ':version': 4,
        ':ticket': {
          className: 'explore',
          submittedAt: '2026-01-01T11:59:00.000Z',
          lastSeenAt: NOW.toISOString(),
        },
      },
    });
  });

  it('does not rewrite a ticket renewed recently, and tells the query its place in line', async () => {
    // Prepare: an older query of the class waits ahead of q1, and q1 was seen 10 s ago.
    const ticket = (submittedAt: string, lastSeenAt: string) => ({
      className: 'explore',
      submittedAt,
      lastSeenAt,
    });
    ddb.on(GetCommand).resolves({
      Item: {
        id: 'slots',
        holders: { a: holder('explore') },
        waiting: {
          older: ticket('2026-01-01T11:58:00.000Z', '2026-01-01T11:59:55.000Z'),
          q1: ticket('2026-01-01T11:59:00.000Z', '2026-01-01T11:59:50.000Z'),
        },
        version: 4,
      },
    });
    // Act
    const result = await store().acquire('q1', 'explore', policy, {
      submittedAt: '2026-01-01T11:59:00.000Z',
      ticketTtlMs: 90_000,
    });
    // Assess
    expect(result).toMatchObject({
      admitted: false,
      ahead: 1,
      reason:
        'explore has a free slot, but older queries of explore are first in line; 1 query ahead of this one',
    });
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('DynamoDbSlotStore.release', () => {
  it('removes the holder and answers true when the query held a slot', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { holders: { q1: holder('etl') } } });
    await expect(store().release('q1')).resolves.toBe(true);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'REMOVE #holders.#q',
      ConditionExpression: 'attribute_exists(#holders.#q)',
      ExpressionAttributeNames: { '#holders': 'holders', '#q': 'q1' },
      ReturnValues: 'UPDATED_OLD',
    });
  });

  it('answers false when the query held no slot', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store().release('q1')).resolves.toBe(false);
  });

  it('releases only the holder taken at a given time when asked to', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(store().releaseIfAcquiredAt('q1', '2026-01-01T11:00:00.000Z')).resolves.toBe(false);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#holders.#q.#acquiredAt = :acquiredAt',
      ExpressionAttributeValues: { ':acquiredAt': '2026-01-01T11:00:00.000Z' },
    });
  });
});

describe('DynamoDbSlotStore.holders', () => {
  it('lists the holders of the slot item', async () => {
    ddb.on(GetCommand).resolves({ Item: { id: 'slots', holders: { q1: holder('etl') }, version: 1 } });
    await expect(store().holders()).resolves.toEqual([
      { queryId: 'q1', className: 'etl', acquiredAt: '2026-01-01T11:00:00.000Z' },
    ]);
  });
});
