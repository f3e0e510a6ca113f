import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hiveToDuckDb, hiveTypeText, parseHiveType } from '../../../local/athena/hive-types';
import { ResultFileWriter, readResultPage } from '../../../local/athena/result-files';
import { javaDouble } from '../../../local/athena/result-format';
import {
  SqlSyntaxError,
  singleStatement,
  TokenCursor,
  tokenize,
  unquoteHive,
} from '../../../local/athena/sql-tokenizer';
import { classifyStatement, parseStatement } from '../../../local/athena/statements';
import { countCaptureGroups } from '../../../local/athena/tables';
import { bindTokens, translateQuery } from '../../../local/athena/translate';
import { initTranspiler } from '../../../local/athena/trino-to-duckdb';
import { tempDataDir } from './helpers';

describe('Athena SQL parsing', () => {
  it('unescapes Hive strings but keeps regex escapes such as \\s for the regex engine', () => {
    expect(unquoteHive(String.raw`'a\"b\\c\sd\001e\'f'`)).toBe(`a"b\\c\\sd\u0001e'f`);
  });

  it('tokenizes quotes, backticks, comments and nested angle brackets without splitting inside them', () => {
    const sql = "CREATE EXTERNAL TABLE `t` (a array<struct<b:int>>) -- 'not a string\nLOCATION 's3://x/;y/'";
    const significant = tokenize(sql, { hiveEscapes: true }).filter(
      (t) => t.kind !== 'space' && t.kind !== 'comment',
    );
    expect(significant.map((t) => t.text)).toEqual([
      'CREATE',
      'EXTERNAL',
      'TABLE',
      '`t`',
      '(',
      'a',
      'array',
      '<',
      'struct',
      '<',
      'b',
      ':',
      'int',
      '>',
      '>',
      ')',
      'LOCATION',
      "'s3://x/;y/'",
    ]);
    expect(() => tokenize("SELECT 'open")).toThrow(SqlSyntaxError);
  });

  it('accepts one statement with a trailing semicolon and refuses two, as Athena does', () => {
    expect(singleStatement('SELECT 1; -- done\n')).toBe('SELECT 1');
    expect(singleStatement("SELECT ';'")).toBe("SELECT ';'");
    expect(() => singleStatement('SELECT 1; SELECT 2')).toThrow(
      'Only one sql statement is allowed. Got: SELECT 1; SELECT 2',
    );
  });

  it('parses nested Hive types and maps them to DuckDB types', () => {
    const type = parseHiveType(
      new TokenCursor('', tokenize('map<string,array<struct<a:int,`b`:decimal(10,2)>>>')),
    );
    expect(hiveTypeText(type)).toBe('map<string,array<struct<a:int,b:decimal(10,2)>>>');
    expect(hiveToDuckDb(type)).toBe('MAP(VARCHAR, STRUCT("a" INTEGER, "b" DECIMAL(10,2))[])');
  });

  it('classifies statements the way Athena reports StatementType', () => {
    expect(classifyStatement('SELECT 1').statementType).toBe('DML');
    expect(classifyStatement('WITH x AS (SELECT 1) SELECT * FROM x').statementType).toBe('DML');
    expect(classifyStatement("CREATE TABLE t WITH (format = 'PARQUET') AS SELECT 1").statementType).toBe(
      'DML',
    );
    expect(classifyStatement('INSERT INTO t SELECT 1').statementType).toBe('DML');
    expect(classifyStatement("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/'").statementType).toBe('DDL');
    expect(classifyStatement('DROP TABLE t').statementType).toBe('DDL');
    expect(classifyStatement('SHOW TABLES').statementType).toBe('UTILITY');
    expect(classifyStatement('DESCRIBE t').statementType).toBe('UTILITY');
  });

  it('parses a CREATE EXTERNAL TABLE with every clause, in Athena order', () => {
    const statement = parseStatement(`CREATE EXTERNAL TABLE IF NOT EXISTS db.Logs (
        \`Time\` string COMMENT 'when', n int)
      PARTITIONED BY (dt string)
      ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
      WITH SERDEPROPERTIES ('input.regex' = '(\\\\S+) (\\\\d+)')
      STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
      OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
      LOCATION 's3://bucket/logs/'
      TBLPROPERTIES ('skip.header.line.count'='1');`);
    expect(statement).toMatchObject({
      kind: 'createExternalTable',
      ifNotExists: true,
      table: { database: 'db', name: 'logs' },
      columns: [{ name: 'time', comment: 'when' }, { name: 'n' }],
      partitionColumns: [{ name: 'dt' }],
      serdeProperties: { 'input.regex': '(\\S+) (\\d+)' },
      location: 's3://bucket/logs/',
      tableProperties: { 'skip.header.line.count': '1' },
    });
  });

  it('counts capturing groups the way a regex engine does', () => {
    expect(countCaptureGroups('(a)(?:b)(c\\(d\\))[(x)](?<name>e)(?=f)')).toBe(3);
  });

  it('quotes default when it qualifies a name, binds parameters, and maps positions back to the user text', async () => {
    await initTranspiler();
    const sql = "SELECT ?, 'default.x' FROM default.t WHERE a = ?";
    expect(bindTokens(sql, ["'it''s'", '42']).sql).toBe(
      `SELECT ('it''s'), 'default.x' FROM "default".t WHERE a = (42)`,
    );
    const translation = translateQuery(sql, ["'it''s'", '42']);
    expect(translation.map(translation.sql.indexOf('WHERE'))).toBe(sql.indexOf('WHERE'));
    expect(translation.map(translation.sql.lastIndexOf('a'))).toBe(sql.lastIndexOf('a'));
    expect(() => translateQuery('SELECT ?', [])).toThrow(
      'Incorrect number of parameters: expected 1 but found 0',
    );
  });

  it('prints doubles and floats as Java does', () => {
    expect(javaDouble(1, false)).toBe('1.0');
    expect(javaDouble(0.1, false)).toBe('0.1');
    expect(javaDouble(1e7, false)).toBe('1.0E7');
    expect(javaDouble(123456.789, false)).toBe('123456.789');
    expect(javaDouble(0.0001, false)).toBe('1.0E-4');
    expect(javaDouble(-2.5e-10, false)).toBe('-2.5E-10');
    expect(javaDouble(Math.fround(0.1), true)).toBe('0.1');
    expect(javaDouble(Number.NaN, false)).toBe('NaN');
  });

  it('pages a CSV result by byte offset, across quoted newlines and multi-byte characters', async () => {
    const data = tempDataDir();
    try {
      const path = join(data.dir, 'r.csv');
      const writer = new ResultFileWriter(path, 'csv');
      await writer.writeRow(['a', 'b']);
      for (let i = 0; i < 2500; i++) await writer.writeRow([`é ${i}`, i % 3 === 0 ? null : `line\n"${i}"`]);
      await writer.close();
      const all: (string | null)[][] = [];
      let offset: number | undefined = 0;
      let pages = 0;
      while (offset !== undefined) {
        const page = await readResultPage(path, 'csv', offset, 1000);
        all.push(...page.rows);
        offset = page.nextOffset;
        pages++;
      }
      expect(pages).toBe(3);
      expect(all).toHaveLength(2501);
      expect(all[1]).toEqual(['é 0', null]);
      expect(all[2499]).toEqual(['é 2498', 'line\n"2498"']);
      expect(all[2500]).toEqual(['é 2499', null]);
      writeFileSync(join(data.dir, 'empty.txt'), '');
      expect(await readResultPage(join(data.dir, 'empty.txt'), 'txt', 0, 1000)).toEqual({ rows: [] });
    } finally {
      data.cleanup();
    }
  });
});
