/**
 * What EventBridge Pipes gets from a DynamoDB stream and what its input transformer makes of it, as its
 * user guide describes them (its filter patterns are EventBridge event patterns: matchesEventPattern).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { jsonPath } from './api-gateway';

type Json = Record<string, unknown>;

/**
 * A stream record of one ledger item with a NEW_IMAGE stream, in the shape Pipes receives it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html).
 */
export function streamInsertRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  image: Record<string, AttributeValue>,
): Json {
  return {
    eventID: '1',
    eventVersion: '1.1',
    eventName,
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      Keys: { queryId: image.queryId },
      ...(eventName === 'REMOVE' ? {} : { NewImage: image }),
      SequenceNumber: '100',
      SizeBytes: 1,
      StreamViewType: 'NEW_IMAGE',
    },
    eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/ledger/stream/2026-01-01T00:00:00.000',
  };
}

/**
 * The target's input from an InputTemplate: each `<$.path>` becomes the value at that path. A string
 * inside quotes is put in JSON-escaped, so the output stays valid JSON ("EventBridge replaces input
 * transformers at runtime to ensure a valid JSON output":
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html).
 */
export function renderPipeInput(template: string, event: Json): string {
  const rendered = template.replace(/"<(\$[^>]*)>"/g, (_, path: string) => {
    const value = jsonPath(event, path);
    if (typeof value !== 'string') throw new Error(`${path} is quoted in the template but is not a string`);
    return JSON.stringify(value);
  });
  if (/<\$/.test(rendered)) throw new Error(`unquoted paths are not modelled: ${template}`);
  return rendered;
}
