import { isAbsolute, join, normalize, relative, sep } from 'node:path';

/** A parsed `s3://bucket/key` URI. */
export interface S3Uri {
  readonly bucket: string;
  readonly key: string;
}

/** Parses `s3://bucket/key`; returns undefined for anything else (s3a://, https://, a bare path). */
export function parseS3Uri(uri: string): S3Uri | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri.trim());
  if (!match) return undefined;
  return { bucket: match[1], key: match[2] ?? '' };
}

/** Ensures a prefix URI ends with one slash, as Athena output locations and table locations do. */
export function asPrefix(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/**
 * Maps s3://bucket/key to `<s3Root>/bucket/key`. Keys that would climb out of the bucket folder
 * (`..`) are refused: the local S3 is a sandbox the same way a bucket is.
 */
export function s3UriToLocalPath(s3Root: string, uri: string): string {
  const parsed = parseS3Uri(uri);
  if (!parsed) throw new Error(`${uri} is not an s3://bucket/key URI`);
  const bucketDir = join(s3Root, parsed.bucket);
  const full = normalize(join(bucketDir, parsed.key));
  const rel = relative(bucketDir, full);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${uri} points outside its bucket`);
  return uri.endsWith('/') && !full.endsWith(sep) ? `${full}${sep}` : full;
}
