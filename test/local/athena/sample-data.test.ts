import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensureSampleData, type LocalAthena } from '../../../local/athena';
import { visibleFiles } from '../../../local/athena/files';
import { openAthena, rows, run, tempDataDir } from './helpers';

const REFERENCE_QUERY =
  'SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip;';
const ALB_ROOT = 's3://athena-wlm-sample/alb-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/';

/**
 * The reference sample's CREATE TABLE, exactly as its README prints it ("Creating the table for ALB
 * logs"), vendored so that the test needs nothing outside the repository.
 */
function referenceStatement(): string {
  return readFileSync(join(__dirname, '../../fixtures/reference-alb-logs.sql'), 'utf8');
}

/** Counts per (verb, client ip) parsed independently of the table: split on spaces and quotes. */
async function directCounts(files: string[]): Promise<string[][]> {
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  const reader = await connection.runAndReadAll(
    `SELECT count(*)::VARCHAR, split_part(split_part(line, '"', 2), ' ', 1) AS verb,
            split_part(split_part(line, ' ', 4), ':', 1) AS ip
     FROM read_csv([${files.map((f) => `'${f}'`).join(', ')}], columns = {'line': 'VARCHAR'}, header = false,
                   auto_detect = false, delim = chr(0), quote = '', escape = '')
     GROUP BY ALL ORDER BY 2, 3`,
  );
  const result = reader.getRows().map((r) => r.map(String));
  connection.closeSync();
  duck.closeSync();
  return result;
}

describe('ensureSampleData', () => {
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

  it('creates alb_logs with the reference statement unchanged but for LOCATION, and the reference query counts match the files', async () => {
    const shipped = readFileSync(join(__dirname, '../../../local/athena/sample/alb-logs.sql'), 'utf8');
    const reference = referenceStatement();
    const locationLine = /LOCATION '[^']*';/;
    expect(shipped.replace(locationLine, 'LOCATION;').trim()).toBe(
      reference.replace(locationLine, 'LOCATION;').trim(),
    );
    expect(shipped).toContain(`LOCATION '${ALB_ROOT}'`);

    await ensureSampleData(athena, { albLogLines: 3000, sensorReadings: 4000 });
    const files = visibleFiles(athena.localPath(ALB_ROOT));
    expect(files.length).toBe(10); // 3,000 requests take 22.5 minutes: a file per node (2) and 5 minutes
    expect(files[0]).toMatch(
      /AWSLogs\/123456789012\/elasticloadbalancing\/us-east-1\/2024\/05\/01\/123456789012_elasticloadbalancing_us-east-1_app\.farm-api-alb\.50dc6c495c0c9188_20240501T\d{4}Z_10\.0\.\d\.\d+_\w+\.log\.gz$/,
    );

    const execution = await run(athena, REFERENCE_QUERY);
    expect(execution.Status?.State).toBe('SUCCEEDED');
    const logBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    expect(execution.Statistics?.DataScannedInBytes).toBe(logBytes);
    const result = await rows(athena, `${REFERENCE_QUERY.replace(';', '')} ORDER BY request_verb, client_ip`);
    expect(result[0]).toEqual(['count', 'request_verb', 'client_ip']);
    expect(result.slice(1)).toEqual(await directCounts(files));
    expect(result.slice(1).reduce((sum, r) => sum + Number(r[0]), 0)).toBe(3000);

    // Every generated line matches the regex (a line that did not would be a row of NULLs).
    expect(
      await rows(athena, 'SELECT count(*) FROM alb_logs WHERE request_verb IS NULL OR time IS NULL'),
    ).toEqual([['_col0'], ['0']]);
    const sample = await rows(
      athena,
      "SELECT type, elb_status_code, target_group_arn, ssl_protocol FROM alb_logs WHERE elb_status_code = 301 AND request_url LIKE 'http://%' LIMIT 1",
    );
    expect(sample[1]).toEqual(['http', '301', '-', '-']);
  });

  it('creates sensor_readings as partitioned Parquet for the agriculture case study', async () => {
    await ensureSampleData(athena, { albLogLines: 100, sensorReadings: 4000 });
    const described = await rows(athena, 'DESCRIBE sensor_readings');
    expect(described.map(([l]) => l!.split('\t')[0].trim())).toContain('dt');
    const bySensor = await rows(
      athena,
      'SELECT sensor_type, count(*) AS n, min(unit) AS unit FROM sensor_readings GROUP BY sensor_type ORDER BY sensor_type',
    );
    expect(bySensor.slice(1).map((r) => r[0])).toEqual([
      'humidity',
      'leaf_wetness',
      'rainfall',
      'soil_moisture',
      'soil_ph',
      'soil_temperature',
      'solar_radiation',
      'temperature',
    ]);
    expect(bySensor.slice(1).reduce((sum, r) => sum + Number(r[1]), 0)).toBe(4000);
    const soil = await rows(
      athena,
      "SELECT min(reading) >= 0, max(reading) <= 100, count(DISTINCT farm_id) FROM sensor_readings WHERE sensor_type = 'soil_moisture' AND dt = '2024-05-01'",
    );
    expect(soil[1]).toEqual(['true', 'true', '20']);
  });

  it('generates the 200,000-line default once, quickly, and reuses it on the next call', async () => {
    const started = Date.now();
    await ensureSampleData(athena, { warmUp: false });
    const firstMs = Date.now() - started;
    const files = visibleFiles(athena.localPath(ALB_ROOT));
    const before = files.map((f) => statSync(f).mtimeMs);

    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const lines = await connection.runAndReadAll(
      `SELECT count(*) FROM read_csv('${athena.localPath(ALB_ROOT)}**/*.log.gz', columns = {'line': 'VARCHAR'},
        header = false, auto_detect = false, delim = chr(0), quote = '', escape = '')`,
    );
    expect(Number(lines.getRows()[0][0])).toBe(200_000);
    connection.closeSync();
    duck.closeSync();

    const again = Date.now();
    await ensureSampleData(athena);
    expect(Date.now() - again).toBeLessThan(1_000);
    expect(visibleFiles(athena.localPath(ALB_ROOT)).map((f) => statSync(f).mtimeMs)).toEqual(before);
    expect(await rows(athena, 'SHOW TABLES')).toEqual([['alb_logs'], ['sensor_readings']]);
    expect(firstMs).toBeLessThan(45_000); // about 6 s on an idle 2-core machine
  }, 90_000);
});
