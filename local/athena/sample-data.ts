/**
 * Sample data for the local Athena, generated once (deterministically) and cached under s3Root:
 *
 * - `alb_logs`: Application Load Balancer access logs, gzip files laid out as ALB writes them
 *   (`AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/<account>_elasticloadbalancing_<region>_
 *   app.<name>.<id>_<end time>_<node ip>_<random>.log.gz`, one per node and 5 minutes), with the table
 *   created by the reference sample's own statement (sample/alb-logs.sql, unchanged but for LOCATION).
 *   Lines carry the 33 fields that statement's regex reads, in ALB's documented order; fields ALB
 *   added later (conn_trace_id, 2024) are left out, because Hive's RegexSerDe matches whole lines
 *   and the reference regex would turn such lines into rows of NULLs.
 * - `sensor_readings`: readings of solar-powered farm sensors (the agriculture case study) as
 *   Parquet files partitioned by day (dt=yyyy-mm-dd).
 *
 * DuckDB generates the rows with range() and an integer hash (no JS loops, no Math.random), so the
 * same options give the same files on every machine.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteLiteral } from './hive-types';
import type { LocalAthena } from './local-athena';

export const SAMPLE_BUCKET = 'athena-wlm-sample';
const ALB_PREFIX = 'alb-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1';
const SENSOR_PREFIX = 'iot/sensor_readings';
const GENERATOR_VERSION = 1;

export interface SampleDataOptions {
  /** ALB log lines to generate. @default 200000 */
  readonly albLogLines?: number;
  /** Sensor readings to generate. @default 268800 (400 devices, every 15 minutes, 7 days) */
  readonly sensorReadings?: number;
  /**
   * After generating logs, run one query over alb_logs so that the first user query does not pay for
   * parsing them (see regex-cache.ts). @default true
   */
  readonly warmUp?: boolean;
}

interface Marker {
  version: number;
  albLogLines?: number;
  sensorReadings?: number;
}

/** Generates the sample files if missing (or generated with other sizes) and creates both tables in `default`. */
export async function ensureSampleData(athena: LocalAthena, options: SampleDataOptions = {}): Promise<void> {
  const albLogLines = options.albLogLines ?? 200_000;
  const sensorReadings = options.sensorReadings ?? 268_800;
  if (!Number.isInteger(albLogLines) || albLogLines < 1)
    throw new Error(`albLogLines must be a positive integer`);
  if (!Number.isInteger(sensorReadings) || sensorReadings < 1)
    throw new Error(`sensorReadings must be a positive integer`);
  const bucketDir = athena.localPath(`s3://${SAMPLE_BUCKET}/`);
  const markerPath = join(bucketDir, '_athena-wlm-sample.json');
  const marker: Marker = existsSync(markerPath)
    ? (JSON.parse(readFileSync(markerPath, 'utf8')) as Marker)
    : { version: GENERATOR_VERSION };
  const stale = marker.version !== GENERATOR_VERSION;
  const needAlb = stale || marker.albLogLines !== albLogLines;
  const needSensors = stale || marker.sensorReadings !== sensorReadings;
  if (needAlb || needSensors) {
    mkdirSync(bucketDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const macro of HASH_MACROS) await connection.run(macro);
      if (needAlb) {
        await writeAlbLogs(connection, bucketDir, albLogLines);
        marker.albLogLines = albLogLines;
      }
      if (needSensors) {
        await writeSensorReadings(connection, bucketDir, sensorReadings);
        marker.sensorReadings = sensorReadings;
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    marker.version = GENERATOR_VERSION;
    writeFileSync(markerPath, JSON.stringify(marker));
  }
  for (const file of ['alb-logs.sql', 'sensor-readings.sql']) {
    await runStatement(athena, readFileSync(sampleSql(file), 'utf8'));
  }
  if (needAlb && (options.warmUp ?? true)) await runStatement(athena, 'SELECT count(*) FROM alb_logs');
}

/** A statement file in sample/, next to this file (tsx, ts-jest) or in the source tree (compiled to dist/). */
function sampleSql(file: string): string {
  const beside = join(__dirname, 'sample', file);
  return existsSync(beside) ? beside : join(__dirname, '..', '..', '..', 'local', 'athena', 'sample', file);
}

async function runStatement(athena: LocalAthena, sql: string): Promise<void> {
  const { QueryExecutionId } = await athena.startQueryExecution({
    QueryString: sql,
    QueryExecutionContext: { Database: 'default' },
  });
  const { QueryExecution } = await athena.waitForQueryExecution(QueryExecutionId);
  if (QueryExecution.Status?.State !== 'SUCCEEDED') {
    throw new Error(
      `Creating a sample table failed: ${QueryExecution.Status?.StateChangeReason ?? QueryExecution.Status?.State}`,
    );
  }
}

/**
 * A seeded uniform number in [0, 1) for (row, stream): two rounds of an LCG step and an xorshift.
 * All in BIGINT without overflow (values stay below 2^31), so DuckDB runs it fast.
 */
const HASH_MACROS = [
  'CREATE MACRO lcg(x) AS (x * 1103515245 + 12345) % 2147483648',
  'CREATE MACRO xs(x) AS xor(x, x >> 13)',
  'CREATE MACRO rnd(i, k) AS xs(lcg(xs(lcg((i * 7919 + k * 104729 + 17) % 2147483648)))) / 2147483648.0',
  'CREATE MACRO pick(list, r) AS list[1 + floor(r * len(list))::INTEGER]',
  'CREATE MACRO ri(x) AS CAST(floor(x) AS BIGINT)',
];

async function writeAlbLogs(
  connection: import('@duckdb/node-api').DuckDBConnection,
  bucketDir: string,
  lines: number,
): Promise<void> {
  const root = join(bucketDir, ALB_PREFIX);
  const staging = join(bucketDir, '_staging-alb-logs');
  rmSync(join(bucketDir, 'alb-logs'), { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  // A steady ~2.3 requests a second (200,000 a day): fewer lines cover less time, more spill into later days.
  const stepMicros = Math.floor(86_400_000_000 / 200_000);
  const query = `
    WITH base AS (
      SELECT i,
        TIMESTAMP '2024-05-01 00:00:00' + to_microseconds(i * ${stepMicros} + ri(rnd(i, 1) * ${stepMicros})::BIGINT) AS t,
        CASE WHEN i % 2 = 0 THEN '10.0.1.23' ELSE '10.0.2.47' END AS node_ip,
        pick(['https', 'https', 'https', 'https', 'https', 'h2', 'h2', 'h2', 'http', 'wss'], rnd(i, 2)) AS type,
        ri(pow(rnd(i, 3), 3) * 2500)::BIGINT AS client,
        rnd(i, 8) AS rv,
        rnd(i, 10) AS rs,
        ri(rnd(i, 9) * 12)::INTEGER AS page
      FROM range(${lines}) r(i)
    ), req AS (
      SELECT *,
        CASE WHEN rv < 0.68 THEN 'GET' WHEN rv < 0.86 THEN 'POST' WHEN rv < 0.91 THEN 'PUT'
             WHEN rv < 0.94 THEN 'DELETE' WHEN rv < 0.97 THEN 'HEAD' WHEN rv < 0.99 THEN 'OPTIONS' ELSE 'PATCH' END AS verb,
        CASE page
          WHEN 0 THEN '/' WHEN 1 THEN '/api/v1/farms'
          WHEN 2 THEN '/api/v1/farms/farm-' || lpad((ri(rnd(i, 20) * 20))::VARCHAR, 3, '0') || '/fields'
          WHEN 3 THEN '/api/v1/devices/dev-' || lpad((ri(rnd(i, 21) * 400))::VARCHAR, 4, '0') || '/readings?since=2024-04-30T00:00:00Z'
          WHEN 4 THEN '/api/v1/readings?farm=farm-' || lpad((ri(rnd(i, 22) * 20))::VARCHAR, 3, '0') || '&type=soil_moisture'
          WHEN 5 THEN '/api/v1/alerts' WHEN 6 THEN '/login' WHEN 7 THEN '/static/js/app.3f9c2b.js'
          WHEN 8 THEN '/static/css/main.8a1d.css' WHEN 9 THEN '/health' WHEN 10 THEN '/favicon.ico'
          ELSE '/api/v1/telemetry/batch' END AS path,
        (51 + client % 150)::VARCHAR || '.' || ri(rnd(client, 40) * 256)::VARCHAR || '.' ||
          ri(rnd(client, 41) * 256)::VARCHAR || '.' || (1 + ri(rnd(client, 42) * 254))::VARCHAR AS client_ip,
        (1024 + ri(rnd(i, 7) * 64000))::VARCHAR AS client_port,
        CASE WHEN page IN (7, 8, 10) THEN 'www.agri-sensors.example.com' ELSE 'api.agri-sensors.example.com' END AS domain
      FROM base
    ), outcome AS (
      SELECT *,
        CASE
          WHEN type = 'http' AND rs < 0.85 THEN 301
          WHEN path = '/health' THEN 200
          WHEN rs < 0.86 THEN CASE WHEN verb = 'POST' AND rnd(i, 11) < 0.4 THEN 201 ELSE 200 END
          WHEN rs < 0.905 THEN CASE WHEN verb = 'GET' THEN 304 ELSE 200 END
          WHEN rs < 0.935 THEN 404 WHEN rs < 0.95 THEN 400 WHEN rs < 0.96 THEN 403 WHEN rs < 0.966 THEN 401
          WHEN rs < 0.975 THEN 500 WHEN rs < 0.982 THEN 502 WHEN rs < 0.988 THEN 503 WHEN rs < 0.993 THEN 504
          ELSE 460 END AS status
      FROM req
    ), line AS (
      SELECT *,
        status = 301 AS redirect,
        path = '/health' AS fixed,
        status IN (460, 503) OR status = 301 OR path = '/health' AS no_target,
        '10.0.' || (10 + ri(rnd(i, 12) * 4))::VARCHAR || '.' || (20 + ri(rnd(i, 13) * 8))::VARCHAR AS target_ip
      FROM outcome
    )
    SELECT
      strftime(time_bucket(INTERVAL 5 MINUTE, t) + INTERVAL 5 MINUTE, '%Y%m%dT%H%MZ') || '_' || node_ip AS file_key,
      concat_ws(' ',
        type,
        strftime(t, '%Y-%m-%dT%H:%M:%S.%fZ'),
        'app/farm-api-alb/50dc6c495c0c9188',
        client_ip || ':' || client_port,
        CASE WHEN no_target THEN '-' ELSE target_ip || ':8080' END,
        CASE WHEN status = 460 THEN '-1' ELSE printf('%.3f', ri(rnd(i, 14) * 2) / 1000) END,
        CASE WHEN no_target OR status = 504 THEN '-1' ELSE printf('%.3f', -ln(1 - rnd(i, 15)) * 0.08) END,
        CASE WHEN no_target OR status = 504 THEN '-1' ELSE '0.000' END,
        status::VARCHAR,
        CASE WHEN no_target OR status = 504 THEN '-' ELSE status::VARCHAR END,
        (180 + ri(rnd(i, 16) * (CASE WHEN verb IN ('POST', 'PUT') THEN 4000 ELSE 900 END)))::VARCHAR,
        CASE WHEN status = 460 THEN '0' ELSE (250 + ri(pow(rnd(i, 17), 2) * 60000))::VARCHAR END,
        '"' || verb || ' ' ||
          CASE WHEN type = 'http' THEN 'http://' || domain || ':80' WHEN type = 'wss' THEN 'wss://' || domain || ':443'
               ELSE 'https://' || domain || ':443' END ||
          CASE WHEN type = 'wss' THEN '/ws/telemetry' ELSE path END || ' ' ||
          CASE WHEN type = 'h2' THEN 'HTTP/2.0' ELSE 'HTTP/1.1' END || '"',
        '"' || pick([
          'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
          'AgriSensorGateway/3.2.1 (LoRaWAN; solar)', 'AgriSensorGateway/3.2.1 (LoRaWAN; solar)',
          'okhttp/4.12.0', 'python-requests/2.31.0', 'curl/8.4.0', 'aws-sdk-java/2.25.16 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10'
        ], rnd(i, 18)) || '"',
        CASE WHEN type = 'http' THEN '-' WHEN rnd(i, 19) < 0.7 THEN 'ECDHE-RSA-AES128-GCM-SHA256' ELSE 'TLS_AES_128_GCM_SHA256' END,
        CASE WHEN type = 'http' THEN '-' WHEN rnd(i, 19) < 0.7 THEN 'TLSv1.2' ELSE 'TLSv1.3' END,
        CASE WHEN redirect OR fixed THEN '-'
             WHEN domain LIKE 'www.%' THEN 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/farm-web/5d2a8e6f1c3b4a90'
             ELSE 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/farm-api/73e2d6bc24d8a067' END,
        '"Root=1-' || lpad(printf('%x', epoch(t)::BIGINT), 8, '0') || '-' || substr(md5(i::VARCHAR), 1, 24) || '"',
        '"' || domain || '"',
        CASE WHEN type = 'http' THEN '"-"'
             ELSE '"arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"' END,
        CASE WHEN redirect THEN '1' WHEN fixed THEN '5' WHEN domain LIKE 'www.%' THEN '20' ELSE '10' END,
        strftime(t - to_microseconds(ri(rnd(i, 23) * 3000)::BIGINT), '%Y-%m-%dT%H:%M:%S.%fZ'),
        '"' || CASE WHEN redirect THEN 'redirect' WHEN fixed THEN 'fixed-response'
                    WHEN rnd(i, 24) < 0.3 THEN 'waf,forward' ELSE 'forward' END || '"',
        '"' || CASE WHEN redirect THEN 'https://' || domain || ':443' || path ELSE '-' END || '"',
        '"-"',
        '"' || CASE WHEN no_target THEN '-' ELSE target_ip || ':8080' END || '"',
        '"' || CASE WHEN no_target OR status = 504 THEN '-' ELSE status::VARCHAR END || '"',
        CASE WHEN rnd(i, 25) < 0.02 THEN '"Ambiguous" "UndefinedContentLengthSemantics"' ELSE '"-" "-"' END
      ) AS line
    FROM line
    ORDER BY t`;
  await connection.run(
    `COPY (${query}) TO ${quoteLiteral(staging)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t', ` +
      `PARTITION_BY (file_key), COMPRESSION gzip, FILE_EXTENSION 'log.gz')`,
  );
  for (const folder of readdirSync(staging)) {
    const key = folder.replace(/^file_key=/, ''); // 20240501T0005Z_10.0.1.23
    const [stamp, nodeIp] = key.split('_');
    const day = `${stamp.slice(0, 4)}/${stamp.slice(4, 6)}/${stamp.slice(6, 8)}`;
    const suffix = hashSuffix(key);
    const dir = join(root, day);
    mkdirSync(dir, { recursive: true });
    const name = `123456789012_elasticloadbalancing_us-east-1_app.farm-api-alb.50dc6c495c0c9188_${stamp}_${nodeIp}_${suffix}.log.gz`;
    for (const file of readdirSync(join(staging, folder)))
      renameSync(join(staging, folder, file), join(dir, name));
  }
  rmSync(staging, { recursive: true, force: true });
}

/** ALB's random file-name suffix, derived from the key so that names are stable. */
function hashSuffix(key: string): string {
  let h = 2166136261;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(0, 8);
}

async function writeSensorReadings(
  connection: import('@duckdb/node-api').DuckDBConnection,
  bucketDir: string,
  readings: number,
): Promise<void> {
  const root = join(bucketDir, SENSOR_PREFIX);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  // 400 devices on 20 farms, one reading every 15 minutes from 2024-05-01; eight sensor kinds.
  const query = `
    WITH r AS (
      SELECT i, i % 400 AS device, i // 400 AS step,
        TIMESTAMP '2024-05-01 00:00:00' + to_microseconds((i // 400) * 900000000 + ri(rnd(i, 1) * 20000000)::BIGINT) AS ts
      FROM range(${readings}) t(i)
    ), d AS (
      SELECT *, device // 20 AS farm, device % 8 AS kind,
        (hour(ts) + minute(ts) / 60.0) AS h
      FROM r
    )
    SELECT
      'farm-' || lpad(farm::VARCHAR, 3, '0') AS farm_id,
      'dev-' || lpad(device::VARCHAR, 4, '0') AS device_id,
      ['soil_moisture', 'temperature', 'humidity', 'soil_temperature', 'leaf_wetness', 'rainfall', 'solar_radiation', 'soil_ph'][kind + 1] AS sensor_type,
      round(CASE kind
        WHEN 0 THEN 18 + 14 * rnd(device, 30) - 0.02 * step + 3 * rnd(i, 2)
        WHEN 1 THEN 19 + 8 * sin((h - 9) / 24 * 2 * pi()) + 2 * rnd(farm, 31) + rnd(i, 3)
        WHEN 2 THEN 65 - 20 * sin((h - 9) / 24 * 2 * pi()) + 5 * rnd(i, 4)
        WHEN 3 THEN 16 + 3 * sin((h - 12) / 24 * 2 * pi()) + rnd(i, 5)
        WHEN 4 THEN greatest(0, 80 * cos(h / 24 * 2 * pi()) - 20 + 10 * rnd(i, 6))
        WHEN 5 THEN CASE WHEN rnd(farm * 1000 + step // 8, 7) < 0.08 THEN 12 * rnd(i, 8) ELSE 0 END
        WHEN 6 THEN greatest(0, 950 * sin((h - 6) / 12 * pi())) * (0.7 + 0.3 * rnd(i, 9))
        ELSE 5.6 + 1.6 * rnd(device, 32) + 0.1 * rnd(i, 10)
      END, 2) AS reading,
      ['%', 'degC', '%', 'degC', '%', 'mm', 'W/m2', 'pH'][kind + 1] AS unit,
      round(least(100, greatest(3, 55 + 40 * sin((h - 10) / 24 * 2 * pi()) + 30 * rnd(device, 33) - CASE WHEN device % 97 = 0 THEN 45 ELSE 0 END)), 1) AS battery_pct,
      (-120 + ri(rnd(i, 11) * 45))::INTEGER AS signal_rssi,
      ts,
      strftime(ts, '%Y-%m-%d') AS dt
    FROM d
    ORDER BY ts, device_id`;
  await connection.run(
    `COPY (${query}) TO ${quoteLiteral(root)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt), FILENAME_PATTERN 'readings_{i}', OVERWRITE_OR_IGNORE)`,
  );
}
