/**
 * Result files as Athena writes them: `<id>.csv` for queries (a header row, every value quoted,
 * NULL as an empty unquoted field) and `<id>.txt` for DDL and utility statements (one row a line).
 * Pages are read straight from the file from a byte offset, which is what NextToken carries.
 */
import { once } from 'node:events';
import { close, createWriteStream, open, read, type WriteStream } from 'node:fs';
import { promisify } from 'node:util';

const openAsync = promisify(open);
const readAsync = promisify(read);
const closeAsync = promisify(close);

/** Streams rows into a result file, honouring back-pressure. */
export class ResultFileWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    private readonly format: 'csv' | 'txt',
  ) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }

  async writeRow(values: readonly (string | null)[]): Promise<void> {
    if (this.failure) throw this.failure;
    const line =
      this.format === 'csv'
        ? values.map((v) => (v === null ? '' : `"${v.replace(/"/g, '""')}"`)).join(',')
        : values.map((v) => v ?? '').join('\t');
    if (!this.stream.write(`${line}\n`)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.stream.closed) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
    if (this.failure) throw this.failure;
  }
}

export interface FileRowsPage {
  readonly rows: (string | null)[][];
  /** Byte offset of the next row, or undefined at the end of the file. */
  readonly nextOffset?: number;
}

const CHUNK = 64 * 1024;
const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;

/** Reads up to `maxRows` rows starting at byte `offset`. */
export async function readResultPage(
  path: string,
  format: 'csv' | 'txt',
  offset: number,
  maxRows: number,
): Promise<FileRowsPage> {
  const fd = await openAsync(path, 'r');
  try {
    const parse = format === 'csv' ? parseCsvRecord : parseLine;
    let buffer = Buffer.alloc(0);
    let base = offset; // file offset of buffer[0]
    let readAt = offset; // file offset of the next read
    let pos = 0;
    let eof = false;
    const more = async (): Promise<void> => {
      const chunk = Buffer.alloc(CHUNK);
      const { bytesRead } = await readAsync(fd, chunk, 0, CHUNK, readAt);
      if (bytesRead === 0) {
        eof = true;
        return;
      }
      readAt += bytesRead;
      buffer = Buffer.concat([buffer.subarray(pos), chunk.subarray(0, bytesRead)]);
      base += pos;
      pos = 0;
    };
    const rows: (string | null)[][] = [];
    while (rows.length < maxRows) {
      const record = pos < buffer.length ? parse(buffer, pos, eof) : undefined;
      if (record) {
        rows.push(record.values);
        pos = record.end;
      } else if (eof) {
        break;
      } else {
        await more();
      }
    }
    if (pos >= buffer.length && !eof) await more();
    return pos < buffer.length ? { rows, nextOffset: base + pos } : { rows };
  } finally {
    await closeAsync(fd);
  }
}

function parseLine(
  buffer: Buffer,
  start: number,
  eof: boolean,
): { values: (string | null)[]; end: number } | undefined {
  const newline = buffer.indexOf(NEWLINE, start);
  if (newline < 0) {
    if (!eof || start >= buffer.length) return undefined;
    return { values: [buffer.toString('utf8', start)], end: buffer.length };
  }
  let end = newline;
  if (end > start && buffer[end - 1] === CR) end--;
  return { values: [buffer.toString('utf8', start, end)], end: newline + 1 };
}

/** One CSV record from `start`; undefined when the buffer ends inside it (and more may follow). */
function parseCsvRecord(
  buffer: Buffer,
  start: number,
  eof: boolean,
): { values: (string | null)[]; end: number } | undefined {
  if (start >= buffer.length) return undefined;
  const values: (string | null)[] = [];
  let i = start;
  for (;;) {
    if (buffer[i] === QUOTE) {
      const parts: Buffer[] = [];
      let j = i + 1;
      let segment = j;
      for (;;) {
        if (j >= buffer.length) return undefined; // the quoted field continues past the buffer
        if (buffer[j] === QUOTE) {
          if (buffer[j + 1] === QUOTE) {
            parts.push(buffer.subarray(segment, j + 1));
            j += 2;
            segment = j;
            continue;
          }
          if (j + 1 >= buffer.length && !eof) return undefined;
          parts.push(buffer.subarray(segment, j));
          break;
        }
        j++;
      }
      values.push(Buffer.concat(parts).toString('utf8'));
      i = j + 1;
    } else {
      let j = i;
      while (j < buffer.length && buffer[j] !== COMMA && buffer[j] !== NEWLINE) j++;
      if (j >= buffer.length && !eof) return undefined;
      let end = j;
      if (end > i && buffer[end - 1] === CR) end--;
      values.push(end === i ? null : buffer.toString('utf8', i, end));
      i = j;
    }
    if (i >= buffer.length) {
      if (!eof) return undefined;
      return { values, end: i };
    }
    if (buffer[i] === COMMA) {
      i++;
      continue;
    }
    if (buffer[i] === CR) i++;
    if (buffer[i] === NEWLINE) return { values, end: i + 1 };
    if (i >= buffer.length) return eof ? { values, end: i } : undefined;
  }
}
