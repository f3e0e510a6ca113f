/**
 * Log tables in the style of the Athena user guide's ALB, CloudFront and VPC flow log pages, and
 * queries over them. Each table has a twin in a plain DuckDB database (the "truth"), built from the
 * same records without the local engine, and each query's expected result is a hand-written DuckDB
 * query over that twin.
 *
 * - alb_logs: the product's sample ALB logs (the reference RegexSerDe table); its twin splits the
 *   raw lines on spaces and quotes.
 * - cloudfront_logs: standard CloudFront logs (tab-separated, two header lines, URL-encoded user
 *   agents), generated here with a seeded generator.
 * - vpc_flow_logs: VPC flow logs version 2 (space-separated, one header line), partitioned by day.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ensureSampleData, type LocalAthena } from '../../../../local/athena';
import { visibleFiles } from '../../../../local/athena/files';
import type { CorpusQuery } from './corpus-query';

const ALB_ROOT = 's3://athena-wlm-sample/alb-logs/';

/** A seeded generator (mulberry32): the same logs on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];

function put(athena: LocalAthena, uri: string, body: string): void {
  const path = athena.localPath(uri);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

async function athenaRun(athena: LocalAthena, sql: string): Promise<void> {
  const { QueryExecutionId } = await athena.startQueryExecution({ QueryString: sql });
  const { QueryExecution } = await athena.waitForQueryExecution(QueryExecutionId);
  if (QueryExecution.Status?.State !== 'SUCCEEDED') {
    throw new Error(
      `${sql.slice(0, 60)}... ended ${QueryExecution.Status?.State}: ${QueryExecution.Status?.StateChangeReason}`,
    );
  }
}

/** Writes the three log tables and their twins. */
export async function createLogTables(
  athena: LocalAthena,
  truth: DuckDBConnection,
  dataDir: string,
): Promise<void> {
  await ensureSampleData(athena, { albLogLines: 4000, sensorReadings: 400 });
  const albFiles = visibleFiles(athena.localPath(ALB_ROOT));
  await truth.run(`
    CREATE TABLE alb AS
    SELECT
      split_part(line, ' ', 1) AS type,
      split_part(line, ' ', 2) AS time,
      split_part(split_part(line, ' ', 4), ':', 1) AS client_ip,
      CAST(split_part(line, ' ', 7) AS DOUBLE) AS target_processing_time,
      CAST(split_part(line, ' ', 9) AS INTEGER) AS elb_status_code,
      CAST(split_part(line, ' ', 11) AS BIGINT) AS received_bytes,
      CAST(split_part(line, ' ', 12) AS BIGINT) AS sent_bytes,
      split_part(split_part(line, '"', 2), ' ', 1) AS request_verb,
      split_part(split_part(line, '"', 2), ' ', 2) AS request_url,
      split_part(line, '"', 4) AS user_agent,
      split_part(trim(split_part(line, '"', 5)), ' ', 2) AS ssl_protocol,
      split_part(line, '"', 8) AS domain_name
    FROM read_csv([${albFiles.map((f) => `'${f}'`).join(', ')}], columns = {'line': 'VARCHAR'}, header = false,
                  auto_detect = false, delim = chr(0), quote = '', escape = '')`);

  const cloudfront = cloudfrontRecords();
  const header = '#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method ...\n';
  for (const day of ['2024-05-01', '2024-05-02']) {
    const lines = cloudfront
      .filter((r) => r.date === day)
      .map((r) => CLOUDFRONT_FIELDS.map((f) => r[f]).join('\t'));
    put(
      athena,
      `s3://corpus-logs/cloudfront/E2EXAMPLE.${day}-00.a1b2c3.gz.log`,
      `${header}${lines.join('\n')}\n`,
    );
  }
  await athenaRun(
    athena,
    `CREATE EXTERNAL TABLE cloudfront_logs (
       \`date\` DATE, time STRING, x_edge_location STRING, sc_bytes BIGINT, c_ip STRING, cs_method STRING,
       cs_host STRING, cs_uri_stem STRING, sc_status INT, cs_referrer STRING, cs_user_agent STRING,
       cs_uri_query STRING, cs_cookie STRING, x_edge_result_type STRING, x_edge_request_id STRING,
       x_host_header STRING, cs_protocol STRING, cs_bytes BIGINT, time_taken FLOAT, x_forwarded_for STRING,
       ssl_protocol STRING, ssl_cipher STRING, x_edge_response_result_type STRING, cs_protocol_version STRING,
       fle_status STRING, fle_encrypted_fields INT, c_port INT, time_to_first_byte FLOAT,
       x_edge_detailed_result_type STRING, sc_content_type STRING, sc_content_len BIGINT,
       sc_range_start BIGINT, sc_range_end BIGINT)
     ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t'
     LOCATION 's3://corpus-logs/cloudfront/'
     TBLPROPERTIES ('skip.header.line.count' = '2')`,
  );
  await loadTwin(truth, dataDir, 'cloudfront', cloudfront, {
    date: 'DATE',
    time: 'VARCHAR',
    x_edge_location: 'VARCHAR',
    sc_bytes: 'BIGINT',
    c_ip: 'VARCHAR',
    cs_method: 'VARCHAR',
    cs_uri_stem: 'VARCHAR',
    sc_status: 'INTEGER',
    cs_user_agent: 'VARCHAR',
    cs_uri_query: 'VARCHAR',
    x_edge_result_type: 'VARCHAR',
    time_taken: 'FLOAT',
  });

  const flows = vpcRecords();
  for (const dt of ['2024-05-01', '2024-05-02']) {
    const lines = flows.filter((r) => r.dt === dt).map((r) => VPC_FIELDS.map((f) => r[f]).join(' '));
    put(
      athena,
      `s3://corpus-logs/vpc/dt=${dt}/123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_${dt.replace(/-/g, '')}T0000Z_hash.log`,
      `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n${lines.join('\n')}\n`,
    );
  }
  await athenaRun(
    athena,
    `CREATE EXTERNAL TABLE IF NOT EXISTS vpc_flow_logs (
       version int, account_id string, interface_id string, srcaddr string, dstaddr string, srcport int,
       dstport int, protocol bigint, packets bigint, bytes bigint, start bigint, \`end\` bigint,
       action string, log_status string)
     PARTITIONED BY (dt string)
     ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '
     LOCATION 's3://corpus-logs/vpc/'
     TBLPROPERTIES ("skip.header.line.count"="1")`,
  );
  await athenaRun(athena, 'MSCK REPAIR TABLE vpc_flow_logs');
  await loadTwin(truth, dataDir, 'vpc', flows, {
    interface_id: 'VARCHAR',
    srcaddr: 'VARCHAR',
    dstaddr: 'VARCHAR',
    srcport: 'INTEGER',
    dstport: 'INTEGER',
    protocol: 'BIGINT',
    packets: 'BIGINT',
    bytes: 'BIGINT',
    start: 'BIGINT',
    end: 'BIGINT',
    action: 'VARCHAR',
    dt: 'VARCHAR',
  });
}

/** A twin table from the records (JSON lines read with a declared schema; '-' is NULL). */
async function loadTwin(
  truth: DuckDBConnection,
  dataDir: string,
  name: string,
  records: readonly Record<string, string>[],
  columns: Record<string, string>,
): Promise<void> {
  const file = join(dataDir, `${name}-twin.json`);
  const rows = records.map((r) =>
    JSON.stringify(Object.fromEntries(Object.keys(columns).map((c) => [c, r[c] === '-' ? null : r[c]]))),
  );
  writeFileSync(file, `${rows.join('\n')}\n`);
  const spec = Object.entries(columns)
    .map(([c, t]) => `'${c}': '${t}'`)
    .join(', ');
  await truth.run(
    `CREATE TABLE ${name} AS SELECT * FROM read_json('${file}', columns = {${spec}}, format = 'newline_delimited')`,
  );
}

const CLOUDFRONT_FIELDS = [
  'date',
  'time',
  'x_edge_location',
  'sc_bytes',
  'c_ip',
  'cs_method',
  'cs_host',
  'cs_uri_stem',
  'sc_status',
  'cs_referrer',
  'cs_user_agent',
  'cs_uri_query',
  'cs_cookie',
  'x_edge_result_type',
  'x_edge_request_id',
  'x_host_header',
  'cs_protocol',
  'cs_bytes',
  'time_taken',
  'x_forwarded_for',
  'ssl_protocol',
  'ssl_cipher',
  'x_edge_response_result_type',
  'cs_protocol_version',
  'fle_status',
  'fle_encrypted_fields',
  'c_port',
  'time_to_first_byte',
  'x_edge_detailed_result_type',
  'sc_content_type',
  'sc_content_len',
  'sc_range_start',
  'sc_range_end',
] as const;

function cloudfrontRecords(): Record<string, string>[] {
  const r = random(20240501);
  const records: Record<string, string>[] = [];
  for (let i = 0; i < 600; i++) {
    const date = i < 350 ? '2024-05-01' : '2024-05-02';
    const seconds = Math.floor(r() * 86_400);
    const time = [seconds / 3600, (seconds / 60) % 60, seconds % 60]
      .map((n) => String(Math.floor(n)).padStart(2, '0'))
      .join(':');
    const stem = pick(r, ['/index.html', '/images/farm.jpg', '/js/app.js', '/api/readings', '/css/site.css']);
    const status = pick(r, ['200', '200', '200', '200', '304', '404', '403', '500', '502']);
    const result = status.startsWith('5') ? 'Error' : pick(r, ['Hit', 'Hit', 'Miss', 'RefreshHit']);
    const agent = pick(r, [
      'Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20Chrome/124.0',
      'Mozilla/5.0%20(iPhone;%20CPU%20iPhone%20OS%2017_4)%20Safari/605.1',
      'curl/8.4.0',
      'AgriSensorGateway/3.2.1',
    ]);
    const query =
      stem === '/api/readings' ? `farm=farm-${String(Math.floor(r() * 20)).padStart(3, '0')}&lang=en` : '-';
    records.push({
      date,
      time,
      x_edge_location: pick(r, ['IAD89-C1', 'FRA56-P3', 'NRT57-C2', 'GRU3-C1']),
      sc_bytes: String(200 + Math.floor(r() * 90_000)),
      c_ip: `198.51.100.${1 + Math.floor(r() * 40)}`,
      cs_method: pick(r, ['GET', 'GET', 'GET', 'HEAD', 'POST']),
      cs_host: 'd111111abcdef8.cloudfront.net',
      cs_uri_stem: stem,
      sc_status: status,
      cs_referrer: '-',
      cs_user_agent: agent,
      cs_uri_query: query,
      cs_cookie: '-',
      x_edge_result_type: result,
      x_edge_request_id: `req${i}`,
      x_host_header: 'www.agri-sensors.example.com',
      cs_protocol: pick(r, ['https', 'https', 'http']),
      cs_bytes: String(100 + Math.floor(r() * 900)),
      time_taken: (Math.floor(r() * 2000) / 1000).toFixed(3),
      x_forwarded_for: '-',
      ssl_protocol: 'TLSv1.3',
      ssl_cipher: 'TLS_AES_128_GCM_SHA256',
      x_edge_response_result_type: result,
      cs_protocol_version: 'HTTP/2.0',
      fle_status: '-',
      fle_encrypted_fields: '-',
      c_port: String(1024 + Math.floor(r() * 60000)),
      time_to_first_byte: (Math.floor(r() * 1000) / 1000).toFixed(3),
      x_edge_detailed_result_type: result,
      sc_content_type: 'text/html',
      sc_content_len: String(Math.floor(r() * 80_000)),
      sc_range_start: '-',
      sc_range_end: '-',
    });
  }
  return records;
}

const VPC_FIELDS = [
  'version',
  'account_id',
  'interface_id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log_status',
] as const;

function vpcRecords(): Record<string, string>[] {
  const r = random(1714521600);
  const records: Record<string, string>[] = [];
  for (let i = 0; i < 800; i++) {
    const dt = i < 450 ? '2024-05-01' : '2024-05-02';
    const start = Date.parse(`${dt}T00:00:00Z`) / 1000 + Math.floor(r() * 86_400);
    const inbound = r() < 0.5;
    const internal = `10.0.${Math.floor(r() * 4)}.${1 + Math.floor(r() * 30)}`;
    const external = `203.0.113.${1 + Math.floor(r() * 25)}`;
    const protocol = pick(r, ['6', '6', '6', '17', '1']);
    records.push({
      dt,
      version: '2',
      account_id: '123456789012',
      interface_id: pick(r, ['eni-0a1b2c3d4e5f60001', 'eni-0a1b2c3d4e5f60002', 'eni-0a1b2c3d4e5f60003']),
      srcaddr: inbound ? external : internal,
      dstaddr: inbound ? internal : external,
      srcport: String(inbound ? 1024 + Math.floor(r() * 60000) : pick(r, [443, 22, 3389, 53, 8080])),
      dstport: String(inbound ? pick(r, [443, 22, 3389, 53, 8080]) : 1024 + Math.floor(r() * 60000)),
      protocol,
      packets: String(1 + Math.floor(r() * 200)),
      bytes: String(40 + Math.floor(r() * 500_000)),
      start: String(start),
      end: String(start + Math.floor(r() * 60)),
      action: r() < 0.25 ? 'REJECT' : 'ACCEPT',
      log_status: 'OK',
    });
  }
  return records;
}

const d = (name: string, sql: string, duckdb: string): CorpusQuery => ({ name, sql, expected: { duckdb } });

export const LOG_QUERIES: readonly CorpusQuery[] = [
  // ALB, in the style of "Querying Application Load Balancer logs".
  d(
    'ALB: requests by verb and client (the reference query)',
    'SELECT COUNT(request_verb) AS count, request_verb, client_ip FROM alb_logs GROUP BY request_verb, client_ip ORDER BY count DESC, request_verb, client_ip LIMIT 20',
    `SELECT count(*)::VARCHAR, request_verb, client_ip FROM alb GROUP BY ALL ORDER BY count(*) DESC, request_verb, client_ip LIMIT 20`,
  ),
  d(
    'ALB: Safari requests',
    "SELECT request_url FROM alb_logs WHERE user_agent LIKE '%Safari%' ORDER BY time, request_url LIMIT 10",
    `SELECT request_url FROM alb WHERE user_agent LIKE '%Safari%' ORDER BY time, request_url LIMIT 10`,
  ),
  d(
    'ALB: server errors by status',
    'SELECT elb_status_code, count(*) AS n FROM alb_logs WHERE elb_status_code >= 500 GROUP BY elb_status_code ORDER BY elb_status_code',
    `SELECT elb_status_code::VARCHAR, count(*)::VARCHAR FROM alb WHERE elb_status_code >= 500 GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'ALB: requests per hour with parse_datetime',
    `SELECT date_trunc('hour', parse_datetime(time, 'yyyy-MM-dd''T''HH:mm:ss.SSSSSS''Z''')) AS hour, count(*) AS n
     FROM alb_logs GROUP BY 1 ORDER BY 1`,
    `SELECT strftime(date_trunc('hour', strptime(time, '%Y-%m-%dT%H:%M:%S.%fZ')), '%Y-%m-%d %H:%M:%S.000 UTC'), count(*)::VARCHAR
     FROM alb GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'ALB: bytes by client',
    'SELECT client_ip, sum(received_bytes) AS received, sum(sent_bytes) AS sent FROM alb_logs GROUP BY client_ip ORDER BY sent DESC, client_ip LIMIT 5',
    `SELECT client_ip, sum(received_bytes)::VARCHAR, sum(sent_bytes)::VARCHAR FROM alb GROUP BY 1 ORDER BY sum(sent_bytes) DESC, client_ip LIMIT 5`,
  ),
  d(
    'ALB: top paths with url_extract_path',
    'SELECT url_extract_path(request_url) AS path, count(*) AS n FROM alb_logs GROUP BY 1 ORDER BY n DESC, path LIMIT 8',
    `SELECT regexp_extract(request_url, '^[a-z]+://[^/]+([^?]*)', 1) AS path, count(*)::VARCHAR FROM alb GROUP BY 1 ORDER BY count(*) DESC, path LIMIT 8`,
  ),
  d(
    'ALB: a query parameter with url_extract_parameter',
    "SELECT url_extract_parameter(request_url, 'farm') AS farm, count(*) AS n FROM alb_logs WHERE url_extract_parameter(request_url, 'farm') IS NOT NULL GROUP BY 1 ORDER BY n DESC, farm LIMIT 5",
    `SELECT regexp_extract(request_url, '[?&]farm=([^&]*)', 1) AS farm, count(*)::VARCHAR FROM alb WHERE request_url LIKE '%?farm=%' GROUP BY 1 ORDER BY count(*) DESC, farm LIMIT 5`,
  ),
  d(
    'ALB: error rate with count_if and integer division',
    'SELECT domain_name, count_if(elb_status_code >= 400) * 100 / count(*) AS error_percent FROM alb_logs GROUP BY domain_name ORDER BY domain_name',
    `SELECT domain_name, (count(*) FILTER (WHERE elb_status_code >= 400) * 100 // count(*))::VARCHAR FROM alb GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'ALB: hosts with url_extract_host',
    'SELECT url_extract_host(request_url) AS host, count(*) AS n FROM alb_logs GROUP BY 1 ORDER BY 1',
    `SELECT split_part(split_part(request_url, '://', 2), ':', 1) AS host, count(*)::VARCHAR FROM alb GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'ALB: TLS protocols',
    "SELECT ssl_protocol, count(*) AS n FROM alb_logs WHERE ssl_protocol <> '-' GROUP BY 1 ORDER BY 1",
    `SELECT ssl_protocol, count(*)::VARCHAR FROM alb WHERE ssl_protocol <> '-' GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'ALB: slow targets by verb, rounded',
    'SELECT request_verb, round(avg(target_processing_time), 4) AS avg_time, max(target_processing_time) AS max_time FROM alb_logs WHERE target_processing_time >= 0 GROUP BY 1 ORDER BY 1',
    `SELECT request_verb, round(avg(target_processing_time), 4)::VARCHAR, max(target_processing_time)::VARCHAR FROM alb WHERE target_processing_time >= 0 GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'ALB: device ids with regexp_extract, by day with date_format',
    `SELECT date_format(from_iso8601_timestamp(time), '%Y-%m-%d') AS day, regexp_extract(request_url, 'dev-[0-9]+') AS device, count(*) AS n
     FROM alb_logs WHERE regexp_like(request_url, 'dev-[0-9]+') GROUP BY 1, 2 ORDER BY n DESC, device LIMIT 5`,
    `SELECT left(time, 10), regexp_extract(request_url, 'dev-[0-9]+'), count(*)::VARCHAR FROM alb WHERE regexp_matches(request_url, 'dev-[0-9]+') GROUP BY 1, 2 ORDER BY count(*) DESC, 2 LIMIT 5`,
  ),

  // CloudFront, in the style of "Querying Amazon CloudFront logs".
  d(
    'CloudFront: bytes served between two dates',
    `SELECT SUM(sc_bytes) AS total_bytes FROM cloudfront_logs WHERE "date" BETWEEN DATE '2024-05-01' AND DATE '2024-05-02'`,
    `SELECT sum(sc_bytes)::VARCHAR FROM cloudfront`,
  ),
  d(
    'CloudFront: requests per edge location and day',
    'SELECT "date", x_edge_location, count(*) AS requests FROM cloudfront_logs GROUP BY 1, 2 ORDER BY 1, 2',
    `SELECT date::VARCHAR, x_edge_location, count(*)::VARCHAR FROM cloudfront GROUP BY 1, 2 ORDER BY 1, 2`,
  ),
  d(
    'CloudFront: status classes with integer division',
    'SELECT sc_status / 100 AS class, count(*) AS n FROM cloudfront_logs GROUP BY 1 ORDER BY 1',
    `SELECT (sc_status // 100)::VARCHAR, count(*)::VARCHAR FROM cloudfront GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'CloudFront: cache hit ratio',
    "SELECT x_edge_location, round(count_if(x_edge_result_type = 'Hit') * 100.0 / count(*), 2) AS hit_percent FROM cloudfront_logs GROUP BY 1 ORDER BY 1",
    `SELECT x_edge_location, round(count(*) FILTER (WHERE x_edge_result_type = 'Hit') * 100.0 / count(*), 2)::VARCHAR FROM cloudfront GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'CloudFront: decoded user agents',
    'SELECT url_decode(cs_user_agent) AS agent, count(*) AS n FROM cloudfront_logs GROUP BY 1 ORDER BY n DESC, agent',
    `SELECT url_decode(cs_user_agent), count(*)::VARCHAR FROM cloudfront GROUP BY 1 ORDER BY count(*) DESC, 1`,
  ),
  d(
    'CloudFront: a query-string parameter',
    "SELECT url_extract_parameter('https://example.com/?' || cs_uri_query, 'farm') AS farm, count(*) AS n FROM cloudfront_logs WHERE cs_uri_query <> '-' GROUP BY 1 ORDER BY n DESC, farm LIMIT 5",
    `SELECT split_part(split_part(cs_uri_query, 'farm=', 2), '&', 1), count(*)::VARCHAR FROM cloudfront WHERE cs_uri_query IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5`,
  ),
  d(
    'CloudFront: requests per hour from date and time',
    `SELECT date_trunc('hour', parse_datetime(CAST("date" AS varchar) || ' ' || time, 'yyyy-MM-dd HH:mm:ss')) AS hour, count(*) AS n
     FROM cloudfront_logs GROUP BY 1 ORDER BY n DESC, hour LIMIT 5`,
    `SELECT strftime(date + CAST(time AS TIME), '%Y-%m-%d %H:00:00.000 UTC'), count(*)::VARCHAR FROM cloudfront GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5`,
  ),
  d(
    'CloudFront: slowest objects',
    'SELECT cs_uri_stem, round(avg(time_taken), 3) AS avg_seconds, max(time_taken) AS max_seconds FROM cloudfront_logs GROUP BY 1 ORDER BY 1',
    `SELECT cs_uri_stem, round(avg(time_taken), 3)::VARCHAR, max(time_taken)::VARCHAR FROM cloudfront GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'CloudFront: errors by method and day of week',
    'SELECT day_of_week("date") AS dow, cs_method, count(*) AS n FROM cloudfront_logs WHERE sc_status >= 400 GROUP BY 1, 2 ORDER BY 1, 2',
    `SELECT isodow(date)::VARCHAR, cs_method, count(*)::VARCHAR FROM cloudfront WHERE sc_status >= 400 GROUP BY 1, 2 ORDER BY 1, 2`,
  ),

  // VPC flow logs, in the style of "Querying Amazon VPC flow logs".
  d(
    'VPC: rejected traffic by day of week and port',
    "SELECT day_of_week(from_unixtime(start)) AS day, dstport, count(*) AS n FROM vpc_flow_logs WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY n DESC, day, dstport LIMIT 10",
    `SELECT isodow(to_timestamp(start))::VARCHAR, dstport::VARCHAR, count(*)::VARCHAR FROM vpc WHERE action = 'REJECT' GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 10`,
  ),
  d(
    'VPC: top talkers',
    'SELECT srcaddr, sum(bytes) AS total FROM vpc_flow_logs GROUP BY srcaddr ORDER BY total DESC, srcaddr LIMIT 5',
    `SELECT srcaddr, sum(bytes)::VARCHAR FROM vpc GROUP BY 1 ORDER BY sum(bytes) DESC, 1 LIMIT 5`,
  ),
  d(
    'VPC: one partition',
    "SELECT count(*) AS flows, sum(packets) AS packets FROM vpc_flow_logs WHERE dt = '2024-05-02'",
    `SELECT count(*)::VARCHAR, sum(packets)::VARCHAR FROM vpc WHERE dt = '2024-05-02'`,
  ),
  d(
    'VPC: hourly bytes with date_format',
    "SELECT date_format(from_unixtime(start), '%Y-%m-%d %H:00') AS hour, sum(bytes) AS total FROM vpc_flow_logs GROUP BY 1 ORDER BY total DESC, hour LIMIT 5",
    `SELECT strftime(to_timestamp(start), '%Y-%m-%d %H:00'), sum(bytes)::VARCHAR FROM vpc GROUP BY 1 ORDER BY sum(bytes) DESC, 1 LIMIT 5`,
  ),
  d(
    'VPC: protocol names with CASE',
    "SELECT CASE protocol WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP' ELSE 'other' END AS proto, count(*) AS n FROM vpc_flow_logs GROUP BY 1 ORDER BY 1",
    `SELECT CASE protocol WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP' ELSE 'other' END, count(*)::VARCHAR FROM vpc GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'VPC: inbound SSH and RDP from outside the VPC',
    String.raw`SELECT dstport, count(DISTINCT srcaddr) AS sources FROM vpc_flow_logs WHERE dstport IN (22, 3389) AND NOT regexp_like(srcaddr, '^10\.') GROUP BY 1 ORDER BY 1`,
    `SELECT dstport::VARCHAR, count(DISTINCT srcaddr)::VARCHAR FROM vpc WHERE dstport IN (22, 3389) AND srcaddr NOT LIKE '10.%' GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'VPC: flow duration and the end column',
    'SELECT interface_id, max("end" - start) AS longest, avg("end" - start) AS average FROM vpc_flow_logs GROUP BY 1 ORDER BY 1',
    `SELECT interface_id, max("end" - start)::VARCHAR, avg("end" - start)::VARCHAR FROM vpc GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'VPC: accepted and rejected share per interface',
    "SELECT interface_id, count_if(action = 'ACCEPT') AS accepted, count_if(action = 'REJECT') AS rejected FROM vpc_flow_logs GROUP BY 1 ORDER BY 1",
    `SELECT interface_id, count(*) FILTER (WHERE action = 'ACCEPT')::VARCHAR, count(*) FILTER (WHERE action = 'REJECT')::VARCHAR FROM vpc GROUP BY 1 ORDER BY 1`,
  ),
  d(
    'VPC: flows in a time window with from_unixtime and typed literals',
    "SELECT count(*) AS n FROM vpc_flow_logs WHERE from_unixtime(start) >= TIMESTAMP '2024-05-01 06:00:00 UTC' AND from_unixtime(start) < TIMESTAMP '2024-05-01 06:00:00 UTC' + INTERVAL '6' HOUR",
    `SELECT count(*)::VARCHAR FROM vpc WHERE start >= epoch(TIMESTAMP '2024-05-01 06:00:00') AND start < epoch(TIMESTAMP '2024-05-01 12:00:00')`,
  ),
];
