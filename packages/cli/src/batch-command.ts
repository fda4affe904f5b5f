/**
 * `baton batch`: the Batch API from the command line, against a running stack or any Baton API.
 * A JSONL file of request lines goes as it is; a plain text file becomes one job per non-empty,
 * non-`#` line.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseFlags } from './flags.ts';
import { Progress } from './progress.ts';
import { bearer, request, resolveApi } from './remote.ts';
import { intFlag, UsageError } from './usage-error.ts';

export const BATCH_USAGE = `Usage: baton batch create FILE [--wait] [--size 64|128|256|512] [--variant V] [--seed N] [--api URL|local]
       baton batch get BATCH_ID [--api URL|local]
       baton batch results BATCH_ID --out-dir DIR [--api URL|local]

  FILE is JSONL request lines (OpenAI's batch input: custom_id, method, url, body), or plain
  text: one prompt per non-empty line, # comments skipped (--size, --variant, --seed apply; line i
  uses seed + i). --wait shows done/failed/total with an ETA and waits for the end.
  --api defaults to local (the stack npm start runs here).`;

type Api = ReturnType<typeof resolveApi>;
const TERMINAL = ['completed', 'failed', 'cancelled', 'expired'];

function call(api: Api, path: string, init: RequestInit = {}) {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>), ...bearer(api) };
  let base: URL;
  try {
    base = new URL(api.url);
  } catch {
    throw new UsageError(`--api must be a URL like http://127.0.0.1:8787, or local, but is "${api.url}"`);
  }
  return request(new URL(path, base), `the key came from ${api.keyFrom}`, { ...init, headers });
}

/** The batch input: JSONL as given, or plain text made into request lines. */
export function batchInput(file: string, o: { size?: string; variant?: string; seed?: number }): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new UsageError(`${file} has no line`);
  if (/\.jsonl$/i.test(file) || lines[0]!.trimStart().startsWith('{')) return text;
  const prompts = lines.filter((l) => !l.trimStart().startsWith('#'));
  if (!prompts.length) throw new UsageError(`${file} has no prompt line`);
  return `${prompts
    .map((prompt, i) =>
      JSON.stringify({
        custom_id: `line-${i + 1}`,
        method: 'POST',
        url: '/v1/images/generations',
        body: {
          prompt: prompt.trim(),
          ...(o.size && { size: /x/.test(o.size) ? o.size : `${o.size}x${o.size}` }),
          ...(o.variant && { variant: o.variant }),
          ...(o.seed !== undefined && { seed: o.seed + i }),
        },
      }),
    )
    .join('\n')}\n`;
}

async function create(api: Api, file: string, values: Record<string, string | boolean | undefined>) {
  const seed = intFlag('seed', values.seed as string | undefined, 0, 2 ** 31);
  const input = batchInput(file, {
    ...(typeof values.size === 'string' && { size: values.size }),
    ...(typeof values.variant === 'string' && { variant: values.variant }),
    ...(seed !== undefined && { seed }),
  });
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([input], { type: 'application/jsonl' }), `${basename(file)}.jsonl`);
  const f = await call(api, '/v1/files', { method: 'POST', body: form });
  const b = await call(api, '/v1/batches', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      input_file_id: f.id,
      endpoint: '/v1/images/generations',
      completion_window: '24h',
    }),
  });
  if (!values.wait) {
    console.log(b.id);
    return 0;
  }
  const end = await follow(api, b.id);
  if (end.output_file_id) warnLines(await download(api, `/v1/files/${end.output_file_id}/content`));
  console.log(
    `${end.id} ${end.status}: ${end.request_counts.completed} done, ${end.request_counts.failed} failed of ${end.request_counts.total}`,
  );
  return end.status === 'completed' ? 0 : 1;
}

/** Output lines: each line's prompt warnings on stderr, as `baton generate` prints its own. */
function warnLines(output: string) {
  for (const l of output.split('\n').filter(Boolean)) {
    const out = JSON.parse(l) as { custom_id: string; response: { body: { warnings?: string[] } } };
    for (const w of out.response.body.warnings ?? []) console.error(`warning: ${out.custom_id}: ${w}`);
  }
}

/** Polls a batch until it ends, with a done/failed/total bar and an ETA on a terminal. */
async function follow(api: Api, id: string) {
  const progress = new Progress();
  const t0 = Date.now();
  for (;;) {
    const b = await call(api, `/v1/batches/${id}`);
    const { total, completed, failed } = b.request_counts as {
      total: number;
      completed: number;
      failed: number;
    };
    const finished = completed + failed;
    const eta = finished > 0 ? ((Date.now() - t0) / finished) * (total - finished) : null;
    const label = `${b.status} ${failed ? `${failed} failed ` : ''}${eta !== null ? `ETA ${Math.ceil(eta / 1000)} s` : ''}`;
    progress.update(label, finished, total);
    if (TERMINAL.includes(b.status)) {
      progress.done();
      return b;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function results(api: Api, id: string, dir: string) {
  const b = await call(api, `/v1/batches/${id}`);
  if (!TERMINAL.includes(b.status))
    throw new UsageError(`batch ${id} is ${b.status}: its results come when it ends`);
  mkdirSync(dir, { recursive: true });
  let written = 0;
  if (b.output_file_id) {
    const text = await download(api, `/v1/files/${b.output_file_id}/content`);
    warnLines(text);
    for (const l of text.split('\n').filter(Boolean)) {
      const out = JSON.parse(l) as {
        custom_id: string;
        response: { body: { data: { url?: string; b64_json?: string }[] } };
      };
      const img = out.response.body.data[0]!;
      const bytes = img.b64_json ? Buffer.from(img.b64_json, 'base64') : await fetchImage(img.url!);
      writeFileSync(join(dir, `${out.custom_id.replace(/[^\w.-]/g, '_')}.png`), bytes);
      written++;
    }
  }
  if (b.error_file_id)
    writeFileSync(join(dir, 'errors.jsonl'), await download(api, `/v1/files/${b.error_file_id}/content`));
  console.log(
    `${written} images in ${dir}${b.error_file_id ? `; ${b.request_counts.failed} failed lines in ${join(dir, 'errors.jsonl')}` : ''}`,
  );
  return 0;
}

async function download(api: Api, path: string): Promise<string> {
  const r = await fetch(new URL(path, api.url), {
    headers: bearer(api),
  });
  if (!r.ok) throw new UsageError(`${path}: HTTP ${r.status}`);
  return r.text();
}

async function fetchImage(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new UsageError(`downloading ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

export async function batchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      wait: { type: 'boolean' },
      'out-dir': { type: 'string' },
      size: { type: 'string' },
      variant: { type: 'string' },
      seed: { type: 'string' },
      api: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  const [sub, arg] = positionals;
  if (values.help || sub === undefined) {
    console.log(BATCH_USAGE);
    return values.help ? 0 : 2;
  }
  if (!arg) throw new UsageError(`baton batch ${sub} needs ${sub === 'create' ? 'a FILE' : 'a BATCH_ID'}`);
  const api = resolveApi(values.api ?? 'local');
  if (sub === 'create') return create(api, arg, values);
  if (sub === 'get') {
    console.log(JSON.stringify(await call(api, `/v1/batches/${arg}`), null, 2));
    return 0;
  }
  if (sub === 'results') {
    if (!values['out-dir']) throw new UsageError('baton batch results needs --out-dir DIR');
    return results(api, arg, values['out-dir']);
  }
  throw new UsageError(`unknown batch command "${sub}" (create, get, results)`);
}
