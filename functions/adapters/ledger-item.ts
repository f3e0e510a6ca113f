import { TABLES } from '../../contracts/tables';
import { conditionOf, type LedgerCondition } from '../core/ports';
import type { QueryRecord } from '../core/query-record';

/** A ledger item as stored: the record's fields as attributes, its class under the stored name. */
export type LedgerItem = Record<string, unknown>;

/** The item that stores a record. */
export function toLedgerItem({ className, ...rest }: QueryRecord): LedgerItem {
  return { ...rest, [TABLES.ledgerClassAttribute]: className };
}

/** The record a stored item holds. */
export function fromLedgerItem(item: LedgerItem): QueryRecord {
  const { [TABLES.ledgerClassAttribute]: className, ...rest } = item;
  return { ...rest, className } as QueryRecord;
}

/** An UpdateItem of a ledger record, with plain (unmarshalled) values. */
export interface LedgerUpdate {
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * The update that applies a patch to an existing ledger record and stamps updatedAt, on DynamoDB and in
 * the local runtime alike. With `onlyIf`, the write is conditional on the stored status being one of
 * those, so a late writer never undoes a newer status. An undefined field means "not given", never
 * "remove".
 */
export function ledgerUpdate(patch: Partial<QueryRecord>, now: Date, onlyIf?: LedgerCondition): LedgerUpdate {
  const names: Record<string, string> = { '#pk': TABLES.ledgerKey, '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':updatedAt': now.toISOString() };
  const sets = ['#updatedAt = :updatedAt'];
  let i = 0;
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || field === TABLES.ledgerKey || field === 'updatedAt') continue;
    names[`#f${i}`] = field === 'className' ? TABLES.ledgerClassAttribute : field;
    values[`:v${i}`] = value;
    sets.push(`#f${i} = :v${i}`);
    i++;
  }
  let condition = 'attribute_exists(#pk)';
  if (onlyIf) {
    const { statuses, executionArn } = conditionOf(onlyIf);
    names['#currentStatus'] = 'status';
    statuses.forEach((status, n) => {
      values[`:only${n}`] = status;
    });
    condition += ` AND #currentStatus IN (${statuses.map((_, n) => `:only${n}`).join(', ')})`;
    if (executionArn) {
      names['#currentExecution'] = 'executionArn';
      values[':execution'] = executionArn;
      condition += ' AND #currentExecution = :execution';
    }
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
