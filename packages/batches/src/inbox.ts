/**
 * S3 drop-in batches. A JSONL object written under batches/inbox/{key id}/ becomes a batch
 * owned by that API key (which must exist and be active); its results appear under
 * batches/outbox/{key id}/{name}/ (output.jsonl, errors.jsonl, or refused.json when the file
 * could not be a batch). Who may write to a key's inbox prefix is IAM's to decide
 * (docs/deploy.md): the prefix is the claim of ownership. In AWS an S3 event notification
 * brings each new object here through the intake queue; the local stack lists the inbox.
 * An object is taken once (a marker per object key): to run it again, write a new name.
 */
import { createHash } from 'node:crypto';
import { expiresAfter } from '@baton/aws';
import { BatchError } from './batch-error.ts';
import type { BatchContext } from './context.ts';
import { checkInput, createBatch } from './create.ts';
import { fileIdFor, LINE_TOO_LONG, MAX_LINE_BYTES, storedLines } from './files.ts';

export const INBOX = 'batches/inbox/';
export const OUTBOX = 'batches/outbox/';
const CHUNK = 2 * 1024 * 1024;

/** An inbox object taken once: its marker item (kept as long as batches are). */
const intakeMarker = (key: string) => ({ pk: 'intake', sk: createHash('sha256').update(key).digest('hex') });

/** What a JSONL object holds, read in ranged chunks (never whole): as files.ts's check. */
async function inspectObject(api: BatchContext, key: string) {
  const endpoints = new Set<string>();
  let lines = 0;
  let n = 0;
  let byte = 0;
  for await (const chunk of storedLines(api.jobs.store, key, 0, CHUNK)) {
    if (chunk === LINE_TOO_LONG)
      return { bytes: byte, lines, endpoints: [], problem: `line ${n + 1} is over 1 MB` };
    for (const raw of chunk.rows) {
      n++;
      const text = raw.trim();
      if (!text) continue;
      lines++;
      if (raw.length > MAX_LINE_BYTES)
        return { bytes: byte, lines, endpoints: [], problem: `line ${n} is over 1 MB` };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { bytes: byte, lines, endpoints: [], problem: `line ${n} is not JSON` };
      }
      if (!value || typeof value !== 'object' || Array.isArray(value))
        return { bytes: byte, lines, endpoints: [], problem: `line ${n} is not a JSON object` };
      const url = (value as { url?: unknown }).url;
      if (typeof url === 'string') endpoints.add(url);
    }
    byte = chunk.next;
  }
  return { bytes: byte, lines, endpoints: [...endpoints] };
}

/** Takes one inbox object: a batch, or a refusal in the outbox. Returns what happened. */
export async function intakeObject(api: BatchContext, key: string): Promise<string> {
  const m = /^batches\/inbox\/([^/]+)\/(.+)$/.exec(key);
  if (!m) return 'ignored';
  const [, keyId, name] = m as unknown as [string, string, string];
  const marker = intakeMarker(key);
  const expiresAt = expiresAfter(api.now(), api.batches.keepDays);
  if (!(await api.jobs.table.put({ ...marker, key, at: api.now(), expiresAt }, { notExists: ['pk'] })))
    return 'seen';
  try {
    return await take(api, key, keyId, name);
  } catch (e) {
    // Not taken (storage failed part-way): the marker goes, so the next look takes it again.
    await api.jobs.table.delete(marker).catch(() => undefined);
    throw e;
  }
}

async function take(api: BatchContext, key: string, keyId: string, name: string): Promise<string> {
  const store = api.jobs.store;
  const outbox = `${OUTBOX}${keyId}/${name}/`;
  const refuse = async (message: string) => {
    // A name with "." or ".." parts gets its refusal beside the key's inbox, never elsewhere.
    const at = dotted(name) ? `${OUTBOX}${keyId}/refused-${fileIdFor(key)}.json` : `${outbox}refused.json`;
    await store.put(at, JSON.stringify({ error: { message, object: key } }), 'application/json');
    return `refused: ${message}`;
  };
  if (dotted(name)) return refuse('an inbox name may not have "." or ".." parts: name the object plainly');
  const keys = api.keys;
  const owner = keys ? (await keys.list()).find((k) => k.id === keyId && !k.revokedAt) : undefined;
  if (keys && !owner)
    return refuse(`no active API key ${keyId}: the inbox prefix names the key that owns the batch`);
  const info = await inspectObject(api, key);
  if (info.bytes === 0) return refuse('the object is empty: a batch needs at least one request line');
  const fileId = fileIdFor(`inbox:${key}`);
  await api.files.record({
    id: fileId,
    owner: keys ? keyId : null,
    purpose: 'batch',
    filename: name,
    created_at: Math.floor(api.now() / 1000),
    content_key: key,
    ...info,
  });
  try {
    const f = await checkInput(api, fileId, '/v1/images/generations', owner?.id ?? null);
    const b = await createBatch(api, {
      id: `batch_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`,
      file: f,
      endpoint: '/v1/images/generations',
      metadata: { source: key },
      owner: keys ? keyId : null,
      outbox,
    });
    await store.put(`${outbox}batch.json`, JSON.stringify({ batch_id: b.id }), 'application/json');
    return b.id;
  } catch (e) {
    if (e instanceof BatchError && e.code === 'invalid_input') return refuse(e.message);
    throw e;
  }
}

/** A name with an empty, "." or ".." part (S3 keeps it literally; a path would not). */
const dotted = (name: string) => name.split('/').some((p) => p === '' || p === '.' || p === '..');
