import { DEFAULT_CATALOG, DEFAULT_DATABASE } from '../contracts/execution-input';
import { TABLES } from '../contracts/tables';

/**
 * The mapping templates of a submission route, whose AWS integration is DynamoDB UpdateItem on the
 * ledger: the edge writes the QUEUED record itself, so a reused queryId is refused with 409 before
 * anything is queued (the ledger's stream then queues the query, see QueryIntakePipe).
 *
 * UpdateItem rather than PutItem: a PutItem whose condition passes replaces the whole item, so an
 * identical retry would put a running query back to QUEUED. Every attribute is set with
 * `if_not_exists`, so a retry that passes the condition changes nothing.
 */

/** The stored attributes that tell one submission from another (what isSameSubmission compares). */
const IDENTITY = [TABLES.ledgerClassAttribute, 'query', 'database', 'catalog'] as const;

/**
 * `$context.requestTimeEpoch` (ms) as ISO-8601 UTC with milliseconds, as `new Date(ms).toISOString()`
 * writes it: days to a civil date by H. Hinnant's `civil_from_days`. Velocity has no date functions;
 * every division here is exact (`(a - a % b) / b`), so Velocity's integer division (Java) and a float
 * one give the same result.
 */
const SUBMITTED_AT = [
  '#set($epoch = $context.requestTimeEpoch)',
  '#set($ms = $epoch % 1000)',
  '#set($seconds = ($epoch - $ms) / 1000)',
  '#set($secondOfDay = $seconds % 86400)',
  '#set($z = ($seconds - $secondOfDay) / 86400 + 719468)',
  '#set($doe = $z % 146097)',
  '#set($era = ($z - $doe) / 146097)',
  '#set($n = $doe - ($doe - $doe % 1460) / 1460 + ($doe - $doe % 36524) / 36524 - ($doe - $doe % 146096) / 146096)',
  '#set($yoe = ($n - $n % 365) / 365)',
  '#set($doy = $doe - (365 * $yoe + ($yoe - $yoe % 4) / 4 - ($yoe - $yoe % 100) / 100))',
  '#set($t = 5 * $doy + 2)',
  '#set($mp = ($t - $t % 153) / 153)',
  '#set($u = 153 * $mp + 2)',
  '#set($day = $doy - ($u - $u % 5) / 5 + 1)',
  '#if($mp < 10)#set($month = $mp + 3)#{else}#set($month = $mp - 9)#end',
  '#set($year = $yoe + $era * 400)',
  '#if($month <= 2)#set($year = $year + 1)#end',
  '#set($minuteSeconds = $secondOfDay % 3600)',
  '#set($hour = ($secondOfDay - $minuteSeconds) / 3600)',
  '#set($second = $minuteSeconds % 60)',
  '#set($minute = ($minuteSeconds - $second) / 60)',
  ...['month', 'day', 'hour', 'minute', 'second'].map(
    (v) => `#if($${v} < 10)#set($${v}2 = "0$${v}")#{else}#set($${v}2 = "$${v}")#end`,
  ),
  '#if($ms < 10)#set($ms3 = "00$ms")#elseif($ms < 100)#set($ms3 = "0$ms")#{else}#set($ms3 = "$ms")#end',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL formal references, not a JS template.
  '#set($submittedAt = "${year}-${month2}-${day2}T${hour2}:${minute2}:${second2}.${ms3}Z")',
];

/**
 * The request template: UpdateItem of the record `newQueryRecord` builds from the same submission
 * (queryId from the body or the request id, class from the route, submitter from the signed identity,
 * submitted and updated at the request time), on condition that no record has the id or that the stored
 * one is the same submission. The queryId also goes in a request-override header, for the response
 * templates (they see DynamoDB's answer, not the request body).
 */
export function submissionWriteTemplate(className: string, tableName: string): string {
  const set = (name: string, value = `:${name}`) => `#${name} = if_not_exists(#${name}, ${value})`;
  return [
    "#set($queryId = $input.path('$.queryId'))",
    '#if("$!queryId" == "")#set($queryId = $context.requestId)#end',
    "#set($database = $input.path('$.database'))",
    "#set($catalog = $input.path('$.catalog'))",
    "#set($userId = $input.path('$.userId'))",
    "#set($params = $input.path('$.executionParameters'))",
    '#set($submittedBy = "$!context.identity.userArn")',
    ...SUBMITTED_AT,
    '{',
    `"TableName": "${tableName}",`,
    `"Key": {"${TABLES.ledgerKey}": {"S": "$queryId"}},`,
    // Attribute names: all of them through #names (status, query, catalog... are reserved words).
    `"UpdateExpression": "SET ${[
      ...IDENTITY.map((name) => set(name)),
      set('submittedAt'),
      set('updatedAt', ':submittedAt'),
      set('status'),
      set('attempts', ':zero'),
      set('redrives', ':zero'),
    ].join(
      ', ',
    )}#if("$!params" != ""), ${set('executionParameters')}#end#if("$!userId" != ""), ${set('userId')}#end#if($submittedBy != ""), ${set('submittedBy')}#end",`,
    // A missing submitter equals "" and missing parameters equal none, as in isSameSubmission. `=` on
    // the parameter lists compares them whole (equality "is supported for all data types, including
    // lists and maps": https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Condition.html).
    // A condition that fails is HTTP 400 ConditionalCheckFailedException, nothing written.
    `"ConditionExpression": "attribute_not_exists(#queryId) OR (${IDENTITY.map((name) => `#${name} = :${name}`).join(' AND ')} AND #if("$!params" != "")#executionParameters = :executionParameters#{else}attribute_not_exists(#executionParameters)#end AND #if($submittedBy != "")#submittedBy = :submittedBy#{else}(attribute_not_exists(#submittedBy) OR #submittedBy = :noSubmitter)#end)",`,
    `"ExpressionAttributeNames": {${[
      'queryId',
      ...IDENTITY,
      'submittedAt',
      'updatedAt',
      'status',
      'attempts',
      'redrives',
      'executionParameters',
      'submittedBy',
    ]
      .map((name) => `"#${name}": "${name}"`)
      .join(', ')}#if("$!userId" != ""), "#userId": "userId"#end},`,
    '"ExpressionAttributeValues": {',
    `":${TABLES.ledgerClassAttribute}": {"S": "${className}"},`,
    `":query": {"S": $input.json('$.query')},`,
    `":database": {"S": #if("$!database" != "")$input.json('$.database')#{else}"${DEFAULT_DATABASE}"#end},`,
    `":catalog": {"S": #if("$!catalog" != "")$input.json('$.catalog')#{else}"${DEFAULT_CATALOG}"#end},`,
    '":submittedAt": {"S": "$submittedAt"},',
    '":status": {"S": "QUEUED"},',
    '":zero": {"N": "0"}',
    '#if("$!params" != "")#set($last = $params.size() - 1),":executionParameters": {"L": [#foreach($i in [0..$last])#if($i > 0),#end{"S": $input.json("$.executionParameters[$i]")}#end]}#end',
    `#if("$!userId" != ""),":userId": {"S": $input.json('$.userId')}#end`,
    '#if($submittedBy != ""),":submittedBy": {"S": "$util.escapeJavaScript($submittedBy)"}#{else},":noSubmitter": {"S": ""}#end',
    '}',
    '}',
    '#set($context.requestOverride.header.X-Query-Id = $queryId)',
  ].join('\n');
}

/** The 202 body: the query's id and where to read its status. */
export const ACCEPTED_RESPONSE_TEMPLATE = [
  '#set($queryId = $context.requestOverride.header.X-Query-Id)',
  '{"queryId":"$queryId","statusUrl":"https://$context.domainName/$context.stage/queries/$queryId"}',
].join('\n');

/**
 * DynamoDB's 4xx answers (all are HTTP 400 with the exception in `__type`): a failed condition is the
 * caller's reused id (409), throttling a retry (503), a record DynamoDB will not store the caller's
 * (400: a body the model allows can pass DynamoDB's 400 KB item limit with many long parameters),
 * anything else ours (500). The status is set with
 * `$context.responseOverride.status`, because an integration response is chosen by status code alone.
 */
export const LEDGER_REFUSED_RESPONSE_TEMPLATE = [
  '#set($queryId = $context.requestOverride.header.X-Query-Id)',
  `#set($type = "$!input.path('$.__type')")`,
  "#if($type.endsWith('#ConditionalCheckFailedException'))",
  '#set($context.responseOverride.status = 409)',
  `{"message":"queryId '$queryId' is already used by another query (other SQL, class or submitter); nothing was queued. Send the query with a new queryId, or resend the first submission unchanged to follow it.","queryId":"$queryId","requestId":"$context.requestId"}`,
  "#elseif($type.endsWith('#ProvisionedThroughputExceededException') || $type.endsWith('#ThrottlingException') || $type.endsWith('#RequestLimitExceeded'))",
  '#set($context.responseOverride.status = 503)',
  '{"message":"The query ledger is busy (DynamoDB throttled the write); nothing was queued. Retry in a few seconds with the same queryId.","queryId":"$queryId","requestId":"$context.requestId"}',
  "#elseif($type.endsWith('#ValidationException'))",
  '#set($context.responseOverride.status = 400)',
  '{"message":"The query could not be recorded as sent, most often because the query with its executionParameters passes the 400 KB a ledger record may hold; nothing was queued. Shorten the query or send fewer or shorter parameters.","queryId":"$queryId","requestId":"$context.requestId"}',
  '#{else}',
  '{"message":"The query could not be recorded (the ledger refused the write); nothing was queued. Retry with the same queryId; if it keeps failing, give an admin the request id.","queryId":"$queryId","requestId":"$context.requestId"}',
  '#end',
].join('\n');

/** DynamoDB's 5xx answers (and anything unexpected): nothing was written, retrying is safe. */
export const LEDGER_UNAVAILABLE_RESPONSE_TEMPLATE = [
  '#set($queryId = $context.requestOverride.header.X-Query-Id)',
  '{"message":"The query ledger is unavailable right now; nothing was queued. Retry in a few seconds with the same queryId.","queryId":"$queryId","requestId":"$context.requestId"}',
].join('\n');
