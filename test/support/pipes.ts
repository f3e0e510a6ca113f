/**
 * What EventBridge Pipes does with a DynamoDB stream record, as its user guide describes it: the event
 * pattern of the filter, and the input transformer that shapes what the target receives.
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
 * Whether an event matches a pattern of exact values: each field of the pattern lists the values the
 * event's field may have, and nested objects match nested fields
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html). Any other
 * pattern syntax throws, so a pattern this cannot judge never passes by accident.
 */
export function matchesPipeFilter(pattern: string, event: Json): boolean {
  const match = (p: Json, e: unknown): boolean =>
    Object.entries(p).every(([key, expected]) => {
      const value = (e as Json | undefined)?.[key];
      if (Array.isArray(expected)) {
        if (!expected.every((v) => typeof v === 'string' || typeof v === 'number')) {
          throw new Error(`pattern ${pattern} uses matching this emulation does not model`);
        }
        return expected.includes(value as string | number);
      }
      return typeof expected === 'object' && expected !== null && match(expected as Json, value);
    });
  return match(JSON.parse(pattern) as Json, event);
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
