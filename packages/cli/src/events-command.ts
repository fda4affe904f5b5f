/** `baton events`: the local stack's job and batch events (.baton/events.ndjson), as they arrive with --follow. */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { config, localHome } from '@baton/config';
import { parseFlags } from './flags.ts';
import { UsageError } from './usage-error.ts';

export const EVENTS_USAGE = `Usage: baton events [--follow] [--json] [--file FILE]

  Prints the events the local stack published (.baton/events.ndjson): one line each, time,
  detail-type and id (--json: the event as EventBridge delivers it). --follow keeps printing
  new ones until interrupted.`;

/** The local stack's events, beside its data (BATON_DATA_DIR's folder, else the checkout's .baton/). */
const defaultFile = () => join(localHome(config()), 'events.ndjson');

/** The status each change stands for (the detail is the object as it was when published, maybe later). */
const STATUS_OF: Record<string, string> = {
  'Job Accepted': 'queued',
  'Job Started': 'running',
  'Job Succeeded': 'succeeded',
  'Job Failed': 'failed',
  'Job Canceled': 'canceled',
  'Batch Created': 'validating',
  'Batch In Progress': 'in_progress',
  'Batch Finalizing': 'finalizing',
  'Batch Completed': 'completed',
  'Batch Cancelling': 'cancelling',
  'Batch Cancelled': 'cancelled',
  'Batch Expired': 'expired',
};

function show(line: string, json: boolean): void {
  if (!line.trim()) return;
  if (json) return void console.log(line);
  try {
    const e = JSON.parse(line) as {
      time: string;
      'detail-type': string;
      detail: { id: string; status?: string };
    };
    // The event's own status; the object's when published, if it had moved on by then.
    const status = STATUS_OF[e['detail-type']] ?? e.detail.status ?? '';
    const now = e.detail.status && e.detail.status !== status ? `  (by then ${e.detail.status})` : '';
    console.log(`${e.time}  ${e['detail-type'].padEnd(18)} ${e.detail.id}  ${status}${now}`);
  } catch {
    console.log(line);
  }
}

/** Reads what was appended since `from` (bytes); returns the new offset. */
function readFrom(file: string, from: number, json: boolean, carry: { rest: string }): number {
  const size = statSync(file).size;
  if (size <= from) return size < from ? 0 : from; // truncated: start again
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    const text = carry.rest + buf.toString('utf8');
    const lines = text.split('\n');
    carry.rest = lines.pop() ?? '';
    for (const l of lines) show(l, json);
    return size;
  } finally {
    closeSync(fd);
  }
}

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      follow: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
      file: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(EVENTS_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const file = values.file ?? defaultFile();
  if (!existsSync(file) && !values.follow)
    throw new UsageError(`no events yet (${file}): start the stack with npm start, then make a job`);
  const carry = { rest: '' };
  let offset = existsSync(file) ? readFrom(file, 0, !!values.json, carry) : 0;
  if (!values.follow) return 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    if (existsSync(file)) offset = readFrom(file, offset, !!values.json, carry);
  }
}
