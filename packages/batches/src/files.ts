/**
 * Files, as OpenAI's Files API has them: uploaded JSONL for batches, and the output and error
 * files batches write. A file is its bytes and a small record; a batch input is checked line
 * by line when it is stored (JSON objects? which endpoints?) so that creating a batch needs no
 * second read.
 *
 *   file#{id} / file         the record, in the state table (owner, purpose, bytes, lines, what the check found)
 *   files/{id}/content       the bytes, in the bucket
 */
import { createHash, randomBytes } from 'node:crypto';
import { type BlobStore, expiresAfter, type StateTable } from '@baton/aws';

export type FilePurpose = 'batch' | 'batch_output';

export interface FileRecord {
  id: string;
  owner: string | null;
  purpose: FilePurpose;
  filename: string;
  bytes: number;
  created_at: number;
  /** Non-empty lines (batch inputs). */
  lines?: number;
  /** The `url` of every request line (batch inputs). */
  endpoints?: string[];
  /** Why the file is not a batch input: the first line that is not a JSON object. */
  problem?: string;
  /** For output files: the batch, and which of its files this is. */
  batch?: { id: string; kind: 'output' | 'error' };
  /** Where the bytes are when not at files/{id}/content (an S3 inbox object, read in place). */
  content_key?: string;
}

export const fileKeys = {
  content: (id: string) => `files/${id}/content`,
};
const recordKey = (id: string) => ({ pk: `file#${id}`, sk: 'file' });

/** Where a file's bytes are. */
export const contentKey = (f: Pick<FileRecord, 'id' | 'content_key'>) =>
  f.content_key ?? fileKeys.content(f.id);

export const newFileId = () => `file-${randomBytes(12).toString('hex')}`;

/** A deterministic file id, for a file made from something that may be seen twice (an inbox object). */
export const fileIdFor = (seed: string) =>
  `file-${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`;

const decoder = new TextDecoder();
/** The longest input line (its prompt is at most a few KB; this bounds the fan-out's reads). */
export const MAX_LINE_BYTES = 1024 * 1024;

/** A line longer than a whole chunk: the reading stops there. */
export const LINE_TOO_LONG = Symbol('line too long');

/**
 * The lines of a stored object from byte `byte` on, read in ranged chunks of `chunkBytes` (never
 * whole): each chunk's complete lines, and the offset just past them.
 */
export async function* storedLines(
  store: BlobStore,
  key: string,
  byte: number,
  chunkBytes: number,
): AsyncGenerator<{ rows: string[]; next: number } | typeof LINE_TOO_LONG> {
  const decoder = new TextDecoder();
  for (;;) {
    const chunk = await store.getRange(key, byte, chunkBytes);
    if (!chunk?.length) return;
    const eof = chunk.length < chunkBytes;
    const end = eof ? chunk.length : chunk.lastIndexOf(10) + 1;
    if (end <= 0) {
      yield LINE_TOO_LONG;
      return;
    }
    const rows = decoder.decode(chunk.subarray(0, end)).split('\n');
    if (rows.at(-1) === '') rows.pop(); // the chunk ended with its last line's newline
    byte += end;
    yield { rows, next: byte };
    if (eof) return;
  }
}

/** What a batch input holds: its lines, the endpoints they name, the first line that is not a JSON object. */
export function inspectJsonl(bytes: Uint8Array): { lines: number; endpoints: string[]; problem?: string } {
  const text = decoder.decode(bytes);
  const endpoints = new Set<string>();
  let lines = 0;
  let n = 0;
  for (const raw of text.split('\n')) {
    n++;
    const line = raw.trim();
    if (!line) continue;
    if (raw.length > MAX_LINE_BYTES)
      return { lines, endpoints: [...endpoints], problem: `line ${n} is over 1 MB` };
    lines++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { lines, endpoints: [...endpoints], problem: `line ${n} is not JSON` };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      return { lines, endpoints: [...endpoints], problem: `line ${n} is not a JSON object` };
    const url = (value as { url?: unknown }).url;
    if (typeof url === 'string') endpoints.add(url);
  }
  return { lines, endpoints: [...endpoints] };
}

export class FileStore {
  constructor(
    readonly store: BlobStore,
    private readonly table: StateTable,
    private readonly now: () => number = Date.now,
    /** How long a file's record is kept (days; its bytes by the bucket's lifecycle rule). */
    private readonly keepDays = 30,
  ) {}

  async create(
    o: {
      owner: string | null;
      purpose: FilePurpose;
      filename: string;
      id?: string;
      batch?: FileRecord['batch'];
    },
    bytes: Uint8Array,
  ): Promise<FileRecord> {
    const record: FileRecord = {
      id: o.id ?? newFileId(),
      owner: o.owner,
      purpose: o.purpose,
      filename: o.filename,
      bytes: bytes.length,
      created_at: Math.floor(this.now() / 1000),
      ...(o.purpose === 'batch' && inspectJsonl(bytes)),
      ...(o.batch && { batch: o.batch }),
    };
    await this.store.put(fileKeys.content(record.id), bytes, 'application/jsonl');
    await this.record(record);
    return record;
  }

  async get(id: string): Promise<FileRecord | null> {
    if (!/^file-[0-9a-f]{24}$/.test(id)) return null;
    return ((await this.table.get(recordKey(id)))?.record as FileRecord | undefined) ?? null;
  }

  /** Records a file whose bytes are already in the bucket (`content_key`). */
  async record(r: FileRecord): Promise<void> {
    await this.table.put({
      ...recordKey(r.id),
      record: r,
      expiresAt: expiresAfter(r.created_at * 1000, this.keepDays),
    });
  }

  content(f: FileRecord): Promise<Uint8Array | null> {
    return this.store.get(contentKey(f));
  }

  async delete(f: FileRecord): Promise<void> {
    if (!f.content_key) await this.store.delete(fileKeys.content(f.id));
    await this.table.delete(recordKey(f.id));
  }
}
