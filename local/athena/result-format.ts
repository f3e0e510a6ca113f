/**
 * Athena's view of result values: column metadata with Athena (Trino) type names, and values
 * rendered as Athena renders them in its CSV results (doubles as Java prints them, timestamps with
 * milliseconds, arrays `[a, b]`, maps `{k=v}`, rows `{f=v}`).
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';

/** ColumnInfo as GetQueryResults returns it. */
export interface AthenaColumnInfo {
  CatalogName: string;
  SchemaName: string;
  TableName: string;
  Name: string;
  Label: string;
  Type: string;
  Precision: number;
  Scale: number;
  Nullable: 'NOT_NULL' | 'NULLABLE' | 'UNKNOWN';
  CaseSensitive: boolean;
}

const UNBOUNDED = 2147483647;

/** The Athena type name, precision and scale for a DuckDB result column. */
export function athenaType(type: DuckDBType): { name: string; precision: number; scale: number } {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { name: 'boolean', precision: 0, scale: 0 };
    case DuckDBTypeId.TINYINT:
      return { name: 'tinyint', precision: 3, scale: 0 };
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { name: 'smallint', precision: 5, scale: 0 };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return { name: 'integer', precision: 10, scale: 0 };
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    // DuckDB sums integers (and counts with count_if) into HUGEINT where Trino answers bigint.
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return { name: 'bigint', precision: 19, scale: 0 };
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return { name: 'decimal', precision: 38, scale: 0 };
    case DuckDBTypeId.FLOAT:
      return { name: 'float', precision: 7, scale: 0 };
    case DuckDBTypeId.DOUBLE:
      return { name: 'double', precision: 17, scale: 0 };
    case DuckDBTypeId.DECIMAL:
      return { name: 'decimal', precision: type.width, scale: type.scale };
    case DuckDBTypeId.DATE:
      return { name: 'date', precision: 0, scale: 0 };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return { name: 'timestamp', precision: 3, scale: 0 };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { name: 'timestamp with time zone', precision: 3, scale: 0 };
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return { name: 'time', precision: 3, scale: 0 };
    case DuckDBTypeId.TIME_TZ:
      return { name: 'time with time zone', precision: 3, scale: 0 };
    case DuckDBTypeId.INTERVAL:
      return { name: 'interval day to second', precision: 0, scale: 0 };
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.BIT:
      return { name: 'varbinary', precision: UNBOUNDED, scale: 0 };
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { name: 'array', precision: 0, scale: 0 };
    case DuckDBTypeId.MAP:
      return { name: 'map', precision: 0, scale: 0 };
    case DuckDBTypeId.STRUCT:
      return { name: 'row', precision: 0, scale: 0 };
    case DuckDBTypeId.UUID:
      return { name: 'uuid', precision: 0, scale: 0 };
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON'
        ? { name: 'json', precision: 0, scale: 0 }
        : { name: 'varchar', precision: UNBOUNDED, scale: 0 };
    default:
      return { name: 'varchar', precision: UNBOUNDED, scale: 0 };
  }
}

export function columnInfo(name: string, type: DuckDBType): AthenaColumnInfo {
  const t = athenaType(type);
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: name,
    Label: name,
    Type: t.name,
    Precision: t.precision,
    Scale: t.scale,
    Nullable: 'UNKNOWN',
    CaseSensitive: t.name === 'varchar',
  };
}

/** A ColumnInfo for the string columns of DDL and utility results (SHOW TABLES, DESCRIBE). */
export function stringColumnInfo(name: string): AthenaColumnInfo {
  return { ...columnInfo(name, { typeId: DuckDBTypeId.VARCHAR } as DuckDBType), Type: 'string' };
}

/** A value as Athena's CSV result and GetQueryResults show it; null stays null. */
export function formatValue(value: DuckDBValue, type: DuckDBType): string | null {
  if (value === null) return null;
  return render(value, type);
}

function render(value: DuckDBValue, type: DuckDBType): string {
  if (value === null) return 'null';
  switch (type.typeId) {
    case DuckDBTypeId.DOUBLE:
      return javaDouble(value as number, false);
    case DuckDBTypeId.FLOAT:
      return javaDouble(value as number, true);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampMillis(value);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return `${timestampMillis(value)} UTC`;
    case DuckDBTypeId.TIME:
      return withMillis(String(value));
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue
        ? [...value.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')
        : String(value);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const items = value instanceof DuckDBListValue || value instanceof DuckDBArrayValue ? value.items : [];
      return `[${items.map((item) => render(item, type.valueType)).join(', ')}]`;
    }
    case DuckDBTypeId.MAP: {
      const entries = value instanceof DuckDBMapValue ? value.entries : [];
      return `{${entries.map((e) => `${render(e.key, type.keyType)}=${render(e.value, type.valueType)}`).join(', ')}}`;
    }
    case DuckDBTypeId.STRUCT: {
      const entries = value instanceof DuckDBStructValue ? value.entries : {};
      return `{${type.entryNames.map((name, i) => `${name}=${render(entries[name] ?? null, type.entryTypes[i])}`).join(', ')}}`;
    }
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? value.toString() : String(value);
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue ? value.toString() : String(value);
    default:
      return String(value);
  }
}

function timestampMillis(value: DuckDBValue): string {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    if (!value.isFinite) return String(value);
    const micros = value.micros;
    const millis = Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n));
    const iso = new Date(millis).toISOString(); // 2024-01-02T03:04:05.123Z
    if (Number.isNaN(millis) || iso.startsWith('+') || iso.startsWith('-')) return String(value);
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  return withMillis(String(value));
}

function withMillis(text: string): string {
  const match = /^(.*\d{2}:\d{2}:\d{2})(?:\.(\d+))?(.*)$/.exec(text);
  if (!match) return text;
  return `${match[1]}.${(match[2] ?? '').padEnd(3, '0').slice(0, 3)}${match[3]}`;
}

/** Java's Double.toString / Float.toString, which is how Athena prints floating point values. */
export function javaDouble(x: number, float: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  let exponential = x.toExponential();
  if (float) {
    for (let digits = 1; digits <= 9; digits++) {
      const candidate = x.toExponential(digits - 1);
      if (Math.fround(Number(candidate)) === Math.fround(x)) {
        exponential = candidate;
        break;
      }
    }
  }
  const [mantissa, expText] = exponential.split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '').replace(/0+$/, '') || '0';
  const sign = negative ? '-' : '';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1) || '0';
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
}
