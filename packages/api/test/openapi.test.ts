/** The OpenAPI document is generated from the schemas the API validates with: its examples pass, its bounds refuse. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { JobStore, type StageMessage } from '@baton/jobs';
import { DEFAULT_MODEL_DIR } from '@baton/pipeline';
import { BOUNDS } from '@baton/pipeline/spec';
import { loadManifest, supportedSizes } from '@baton/runtime/manifest';
import { shapesExpander } from '@baton/service';
import { createApp } from '../src/index.ts';

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  example?: unknown;
  maximum?: number;
  enum?: unknown[];
  anyOf?: Schema[];
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
};

async function setup() {
  const manifest = await loadManifest(DEFAULT_MODEL_DIR);
  const sent: StageMessage[] = [];
  const jobs = new JobStore(new MemoryBlobStore());
  const app = createApp({
    jobs,
    manifest,
    expander: shapesExpander,
    enqueue: async (m) => {
      sent.push(m);
    },
    config: { syncWaitMs: 0, pollMs: 1 },
  });
  const doc = (await (await app.request('/openapi.json')).json()) as Doc;
  const resolve = (s: Schema) => (s.$ref ? doc.components.schemas[s.$ref.split('/').pop()!]! : s);
  return { app, doc, manifest, sent, resolve };
}

test('every request body example in /openapi.json is accepted by the API it documents', async () => {
  const { app, doc, sent, resolve } = await setup();
  let posted = 0;
  for (const [path, methods] of Object.entries(doc.paths)) {
    const body = methods.post?.requestBody?.content['application/json']?.schema;
    if (!body) continue;
    const props = resolve(body).properties ?? {};
    // The work-creating routes (a prompt in, a job out); /v1/batches takes a file id, tested in batches.test.ts.
    if (!('prompt' in props)) continue;
    const example = Object.fromEntries(
      Object.entries(props).flatMap(([k, v]) => (v.example !== undefined ? [[k, v.example]] : [])),
    );
    assert.ok('prompt' in example, `${path} documents a prompt example`);
    const r = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(example),
    });
    assert.ok(
      r.status === 200 || r.status === 202,
      `${path} with ${JSON.stringify(example)} → ${r.status} ${await r.text()}`,
    );
    posted++;
  }
  assert.equal(posted, 2, 'both work-creating routes were tried');
  assert.equal(sent.length, 2, 'each example made one job');
});

test('the documented bounds are the ones enforced: sizes from the manifest, steps and seed from BOUNDS', async () => {
  const { app, manifest, resolve } = await setup();
  const job = resolve({ $ref: '#/components/schemas/JobRequest' }).properties!;
  const documented = (s: Schema) => s.maximum ?? s.anyOf?.find((x) => x.maximum !== undefined)?.maximum;
  assert.equal(documented(job.steps_base!), BOUNDS.steps.max);
  assert.equal(documented(job.seed!), BOUNDS.seed.max);
  const sizes = (job.size!.enum ?? job.size!.anyOf?.find((x) => x.enum)?.enum) as string[];
  for (const s of supportedSizes(manifest)) assert.ok(sizes.includes(`${s}x${s}`));
  const over = await app.request('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'dot', steps_base: BOUNDS.steps.max + 1 }),
  });
  assert.equal(over.status, 400);
  assert.equal(((await over.json()) as { error: { param: string } }).error.param, 'steps_base');
});
