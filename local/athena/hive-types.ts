import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { SqlSyntaxError, type TokenCursor } from './sql-tokenizer';

/** A Hive column type as written in Athena DDL (`string`, `decimal(10,2)`, `array<struct<a:int>>`). */
export type HiveType =
  | { readonly kind: 'primitive'; readonly name: string; readonly params: readonly number[] }
  | { readonly kind: 'array'; readonly element: HiveType }
  | { readonly kind: 'map'; readonly key: HiveType; readonly value: HiveType }
  | {
      readonly kind: 'struct';
      readonly fields: readonly { readonly name: string; readonly type: HiveType }[];
    };

const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  varchar: 'VARCHAR',
  char: 'VARCHAR',
  tinyint: 'TINYINT',
  smallint: 'SMALLINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  float: 'FLOAT',
  real: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
  decimal: 'DECIMAL',
  binary: 'BLOB',
};

/** Parses one Hive type at the cursor (types are case-insensitive; `<` `>` nest). */
export function parseHiveType(cursor: TokenCursor): HiveType {
  const at = cursor.position;
  const name = cursor.expectIdentifier('a column type').toLowerCase();
  if (name === 'array') {
    cursor.expectPunct('<');
    const element = parseHiveType(cursor);
    cursor.expectPunct('>');
    return { kind: 'array', element };
  }
  if (name === 'map') {
    cursor.expectPunct('<');
    const key = parseHiveType(cursor);
    cursor.expectPunct(',');
    const value = parseHiveType(cursor);
    cursor.expectPunct('>');
    return { kind: 'map', key, value };
  }
  if (name === 'struct') {
    cursor.expectPunct('<');
    const fields: { name: string; type: HiveType }[] = [];
    do {
      const fieldName = cursor.expectIdentifier('a struct field name');
      cursor.expectPunct(':');
      fields.push({ name: fieldName, type: parseHiveType(cursor) });
      if (cursor.acceptWords('COMMENT')) cursor.expectHiveString('a field comment');
    } while (cursor.acceptPunct(','));
    cursor.expectPunct('>');
    return { kind: 'struct', fields };
  }
  if (!(name in PRIMITIVES)) throw new SqlSyntaxError(`unknown data type ${name}`, at);
  const params: number[] = [];
  if (cursor.acceptPunct('(')) {
    do params.push(cursor.expectNumber('a type parameter'));
    while (cursor.acceptPunct(','));
    cursor.expectPunct(')');
  }
  if (name === 'decimal' && params.length === 0) params.push(10, 0); // Hive's default decimal
  if (name === 'decimal' && (params[0] > 38 || (params[1] ?? 0) > params[0])) {
    throw new SqlSyntaxError(
      `invalid decimal(${params.join(',')}): precision is 1..38 and scale <= precision`,
      at,
    );
  }
  return { kind: 'primitive', name, params };
}

/** The DuckDB type a Hive type is read as. */
export function hiveToDuckDb(type: HiveType): string {
  switch (type.kind) {
    case 'primitive':
      if (type.name === 'decimal') return `DECIMAL(${type.params[0]},${type.params[1] ?? 0})`;
      return PRIMITIVES[type.name];
    case 'array':
      return `${hiveToDuckDb(type.element)}[]`;
    case 'map':
      return `MAP(${hiveToDuckDb(type.key)}, ${hiveToDuckDb(type.value)})`;
    case 'struct':
      return `STRUCT(${type.fields.map((f) => `${quoteIdent(f.name)} ${hiveToDuckDb(f.type)}`).join(', ')})`;
  }
}

/** Hive's own spelling, as DESCRIBE and SHOW CREATE TABLE print it. */
export function hiveTypeText(type: HiveType): string {
  switch (type.kind) {
    case 'primitive': {
      const name = type.name === 'integer' ? 'int' : type.name === 'real' ? 'float' : type.name;
      return type.params.length > 0 ? `${name}(${type.params.join(',')})` : name;
    }
    case 'array':
      return `array<${hiveTypeText(type.element)}>`;
    case 'map':
      return `map<${hiveTypeText(type.key)},${hiveTypeText(type.value)}>`;
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${hiveTypeText(f.type)}`).join(',')}>`;
  }
}

export function isPrimitive(type: HiveType): type is Extract<HiveType, { kind: 'primitive' }> {
  return type.kind === 'primitive';
}

/** The Hive type a DuckDB result column is stored as (CTAS): the inverse of hiveToDuckDb. */
export function duckDbToHive(type: DuckDBType): HiveType {
  const p = (name: string, params: number[] = []): HiveType => ({ kind: 'primitive', name, params });
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return p('boolean');
    case DuckDBTypeId.TINYINT:
      return p('tinyint');
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return p('smallint');
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return p('int');
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return p('bigint');
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return p('decimal', [38, 0]);
    case DuckDBTypeId.FLOAT:
      return p('float');
    case DuckDBTypeId.DOUBLE:
      return p('double');
    case DuckDBTypeId.DECIMAL:
      return p('decimal', [type.width, type.scale]);
    case DuckDBTypeId.DATE:
      return p('date');
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return p('timestamp');
    case DuckDBTypeId.BLOB:
      return p('binary');
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { kind: 'array', element: duckDbToHive(type.valueType) };
    case DuckDBTypeId.MAP:
      return { kind: 'map', key: duckDbToHive(type.keyType), value: duckDbToHive(type.valueType) };
    case DuckDBTypeId.STRUCT:
      return {
        kind: 'struct',
        fields: type.entryNames.map((name, i) => ({ name, type: duckDbToHive(type.entryTypes[i]) })),
      };
    default:
      return p('string');
  }
}

/** Double-quotes an identifier for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Single-quotes a string literal for DuckDB. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
