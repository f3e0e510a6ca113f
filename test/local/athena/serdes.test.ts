import { mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LocalAthena } from '../../../local/athena';
import { openAthena, putObject, rows, run, tempDataDir } from './helpers';

describe('LocalAthena table DDL', () => {
  let data: ReturnType<typeof tempDataDir>;
  let athena: LocalAthena;

  beforeEach(async () => {
    data = tempDataDir();
    athena = await openAthena(data.dir);
  });

  afterEach(async () => {
    await athena.close();
    data.cleanup();
  });

  it('reads RegexSerDe logs (gzip included) with Hive semantics: a line that does not match is a row of NULLs', async () => {
    putObject(athena, 's3://logs/web/2024/05/01/a.log', 'GET /index.html 200 512\nPOST /api 500 17\n');
    putObject(athena, 's3://logs/web/2024/05/02/b.log.gz', gzipSync('HEAD / 304 0\nthis line is garbage\n'));
    putObject(athena, 's3://logs/web/_SUCCESS', 'ignored, as Athena ignores it');
    const created = await run(
      athena,
      `CREATE EXTERNAL TABLE IF NOT EXISTS web (verb string, path string, status int, bytes bigint)
       ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
       WITH SERDEPROPERTIES ('input.regex' = '([A-Z]+) ([^ ]*) ([0-9]{3}) (\\\\d+)')
       LOCATION 's3://logs/web/'`,
    );
    expect(created.Status?.State).toBe('SUCCEEDED');
    expect(created.StatementType).toBe('DDL');
    expect(await rows(athena, 'SELECT verb, path, status, bytes FROM web ORDER BY verb NULLS LAST')).toEqual([
      ['verb', 'path', 'status', 'bytes'],
      ['GET', '/index.html', '200', '512'],
      ['HEAD', '/', '304', '0'],
      ['POST', '/api', '500', '17'],
      [undefined, undefined, undefined, undefined],
    ]);

    // Files added later are read, as in Athena.
    putObject(athena, 's3://logs/web/2024/05/03/c.log', 'PUT /x 201 3\n');
    expect(await rows(athena, 'SELECT count(*), sum(bytes) FROM web')).toEqual([
      ['_col0', '_col1'],
      ['5', '532'],
    ]);
  });

  it('refuses a RegexSerDe table whose regex has fewer groups than columns', async () => {
    const created = await run(
      athena,
      `CREATE EXTERNAL TABLE bad (a string, b string) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
       WITH SERDEPROPERTIES ('input.regex' = '(.*)') LOCATION 's3://logs/bad/'`,
    );
    expect(created.Status?.State).toBe('FAILED');
    expect(created.Status?.StateChangeReason).toMatch(
      /Number of matching groups doesn't match the number of columns/,
    );
    expect(created.Status?.AthenaError?.ErrorType).toBe(1003);
  });

  it('reads OpenCSVSerde files with quotes, a custom separator and a skipped header', async () => {
    putObject(
      athena,
      's3://data/farms/farms.csv',
      'farm_id;name;hectares;active\n"f1";"North; upper";"12.5";"true"\n"f2";"South ""old""";"";"false"\n',
    );
    await rows(
      athena,
      `CREATE EXTERNAL TABLE farms (farm_id string, name string, hectares double, active boolean)
       ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
       WITH SERDEPROPERTIES ('separatorChar' = ';', 'quoteChar' = '"', 'escapeChar' = '\\\\')
       LOCATION 's3://data/farms/'
       TBLPROPERTIES ('skip.header.line.count' = '1')`,
    );
    expect(await rows(athena, 'SELECT * FROM farms ORDER BY farm_id')).toEqual([
      ['farm_id', 'name', 'hectares', 'active'],
      ['f1', 'North; upper', '12.5', 'true'],
      ['f2', 'South "old"', undefined, 'false'],
    ]);
  });

  it('reads LazySimpleSerDe text: delimiters, collections, \\N as NULL, missing fields as NULL', async () => {
    putObject(
      athena,
      's3://data/devices/d.txt',
      'dev-1|soil,temp|fw:3.2,hw:1|42\ndev-2|humidity|fw:1.0|\\N\ndev-3\n',
    );
    await rows(
      athena,
      `CREATE EXTERNAL TABLE devices (id string, sensors array<string>, versions map<string,string>, battery int)
       ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' COLLECTION ITEMS TERMINATED BY ',' MAP KEYS TERMINATED BY ':'
       STORED AS TEXTFILE LOCATION 's3://data/devices/'`,
    );
    expect(
      await rows(
        athena,
        'SELECT id, sensors, versions, battery, cardinality(versions) FROM devices ORDER BY id',
      ),
    ).toEqual([
      ['id', 'sensors', 'versions', 'battery', '_col4'],
      ['dev-1', '[soil, temp]', '{fw=3.2, hw=1}', '42', '2'],
      ['dev-2', '[humidity]', '{fw=1.0}', undefined, '1'],
      ['dev-3', undefined, undefined, undefined, undefined],
    ]);

    putObject(athena, 's3://data/plain/p.txt', 'a,1\nb,2\n');
    await rows(
      athena,
      `CREATE EXTERNAL TABLE plain (k string, v int)
       ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'
       WITH SERDEPROPERTIES ('field.delim' = ',') LOCATION 's3://data/plain/'`,
    );
    expect(await rows(athena, 'SELECT sum(v) AS total FROM plain')).toEqual([['total'], ['3']]);
  });

  it('reads JSON with the OpenX SerDe (keys case-insensitive, mapping, malformed lines ignored) and the HCatalog SerDe', async () => {
    putObject(
      athena,
      's3://data/events/e.json',
      '{"DeviceId":"d1","ts":"2024-05-01 10:00:00","reading":{"value":1.5,"unit":"%"},"tags":["a","b"]}\n' +
        'not json at all\n' +
        '{"deviceid":"d2","ts":"2024-05-01 11:00:00","reading":{"value":2.5,"unit":"C"},"tags":[]}\n',
    );
    await rows(
      athena,
      `CREATE EXTERNAL TABLE events (
         deviceid string, event_time timestamp, reading struct<value:double,unit:string>, tags array<string>)
       ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
       WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'mapping.event_time' = 'ts')
       LOCATION 's3://data/events/'`,
    );
    expect(
      await rows(
        athena,
        'SELECT deviceid, event_time, reading.value, tags FROM events WHERE deviceid IS NOT NULL ORDER BY 1',
      ),
    ).toEqual([
      ['deviceid', 'event_time', 'value', 'tags'],
      ['d1', '2024-05-01 10:00:00.000', '1.5', '[a, b]'],
      ['d2', '2024-05-01 11:00:00.000', '2.5', '[]'],
    ]);
    expect(await rows(athena, 'SELECT count(*) FROM events')).toEqual([['_col0'], ['3']]);

    putObject(athena, 's3://data/strict/s.json', '{"a": 1}\n{broken\n');
    await rows(
      athena,
      `CREATE EXTERNAL TABLE strict_json (a int) ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
       LOCATION 's3://data/strict/'`,
    );
    const failed = await run(athena, 'SELECT * FROM strict_json');
    expect(failed.Status?.State).toBe('FAILED');
    expect(failed.Status?.StateChangeReason).toMatch(/^HIVE_BAD_DATA: .*Malformed JSON/);
  });

  it('reads partitioned Parquet (STORED AS PARQUET, PARTITIONED BY) and bills only the columns read', async () => {
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const root = athena.localPath('s3://lake/readings/');
    mkdirSync(root, { recursive: true });
    await connection.run(
      `COPY (SELECT range AS id, 'device-' || (range % 10) AS device, md5(range::VARCHAR) AS payload, range * 0.5 AS value,
                    '2024-05-0' || (1 + range % 3) AS dt FROM range(3000))
       TO '${root}' (FORMAT parquet, PARTITION_BY (dt))`,
    );
    connection.closeSync();
    duck.closeSync();
    await rows(
      athena,
      `CREATE EXTERNAL TABLE readings (id bigint, device string, payload string, value double)
       PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://lake/readings/'`,
    );
    expect(await rows(athena, "SELECT count(*), sum(value) FROM readings WHERE dt = '2024-05-02'")).toEqual([
      ['_col0', '_col1'],
      ['1000', '749750.0'],
    ]);
    expect(await rows(athena, 'SHOW PARTITIONS readings')).toEqual([
      ['dt=2024-05-01'],
      ['dt=2024-05-02'],
      ['dt=2024-05-03'],
    ]);

    const narrow = await run(athena, 'SELECT sum(id) FROM readings');
    const wide = await run(athena, 'SELECT max(payload) FROM readings');
    expect(narrow.Statistics!.DataScannedInBytes!).toBeGreaterThan(0);
    expect(wide.Statistics!.DataScannedInBytes!).toBeGreaterThan(narrow.Statistics!.DataScannedInBytes! * 2);
  });

  it('creates a table with CTAS (Parquet by default, partitioned on request) and inserts into it', async () => {
    const ctas = await run(
      athena,
      `CREATE TABLE daily WITH (format = 'PARQUET', external_location = 's3://lake/daily/', partitioned_by = ARRAY['dt'])
       AS SELECT n, 'x' || CAST(n AS varchar) AS label, '2024-05-0' || CAST(1 + n % 2 AS varchar) AS dt FROM UNNEST(sequence(0, 9)) AS t(n)`,
    );
    expect(ctas.Status?.State).toBe('SUCCEEDED');
    expect(ctas.StatementType).toBe('DML');
    expect(await athena.getQueryResults({ QueryExecutionId: ctas.QueryExecutionId! })).toMatchObject({
      UpdateCount: 10,
      ResultSet: { Rows: [{ Data: [{ VarCharValue: 'rows' }] }, { Data: [{ VarCharValue: '10' }] }] },
    });
    expect(await rows(athena, 'SELECT dt, count(*) AS c FROM daily GROUP BY dt ORDER BY dt')).toEqual([
      ['dt', 'c'],
      ['2024-05-01', '5'],
      ['2024-05-02', '5'],
    ]);
    const described = await rows(athena, 'DESCRIBE daily');
    expect(described.map(([l]) => l!.split('\t')[0].trim())).toEqual([
      'n',
      'label',
      '',
      '# Partition Information',
      '# col_name',
      '',
      'dt',
    ]);

    const inserted = await run(athena, "INSERT INTO daily SELECT 100, 'late', '2024-05-03'");
    expect(inserted.Status?.State).toBe('SUCCEEDED');
    expect(await rows(athena, 'SELECT count(*) FROM daily')).toEqual([['_col0'], ['11']]);

    const again = await run(athena, 'CREATE TABLE daily AS SELECT 1 AS n');
    expect(again.Status?.StateChangeReason).toBe('ALREADY_EXISTS: Table default.daily already exists');
    const sameLocation = await run(
      athena,
      "CREATE TABLE other WITH (external_location = 's3://lake/daily/') AS SELECT 1 AS n",
    );
    expect(sameLocation.Status?.StateChangeReason).toBe(
      "HIVE_PATH_ALREADY_EXISTS: Target directory for table 'default.other' already exists: s3://lake/daily/",
    );

    const json = await run(athena, "CREATE TABLE as_json WITH (format = 'JSON') AS SELECT 1 AS n, 'a' AS s");
    expect(json.Status?.State).toBe('SUCCEEDED');
    expect(await rows(athena, 'SELECT n, s FROM as_json')).toEqual([
      ['n', 's'],
      ['1', 'a'],
    ]);
  });

  it('returns no rows for a table whose location is still empty, then sees files that arrive', async () => {
    await rows(
      athena,
      "CREATE EXTERNAL TABLE later (a int, b string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://data/later/'",
    );
    expect(await rows(athena, 'SELECT * FROM later')).toEqual([['a', 'b']]);
    putObject(athena, 's3://data/later/x.csv', '1,one\n');
    expect(await rows(athena, 'SELECT * FROM later')).toEqual([
      ['a', 'b'],
      ['1', 'one'],
    ]);
  });

  it('refuses formats the local engine cannot read, saying so', async () => {
    const orc = await run(athena, "CREATE EXTERNAL TABLE o (a int) STORED AS ORC LOCATION 's3://data/orc/'");
    expect(orc.Status?.StateChangeReason).toMatch(
      /^NOT_SUPPORTED: STORED AS ORC is not supported by the local Athena engine/,
    );
    const managed = await run(athena, 'CREATE TABLE m (a int)');
    expect(managed.Status?.StateChangeReason).toMatch(/Only external table creation is supported/);
  });
});
