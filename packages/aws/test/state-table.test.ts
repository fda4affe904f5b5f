/**
 * The state table's contract, run on both implementations: the in-memory table of the unit
 * tests, and DynamoStateTable against a DynamoDB-compatible server (dynalite, as the local
 * stack runs it). What one does, the other must: conditions decide races, a map key is set
 * only inside an existing map, queries page in sort-key order.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import dynalite from 'dynalite';
import {
  DynamoStateTable,
  dynamoClient,
  ensureTable,
  MemoryStateTable,
  queryAll,
  type StateTable,
} from '../src/index.ts';

let server: Server;
let dynamo: DynamoStateTable;
before(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const config = {
    region: 'us-east-1',
    table: 'contract',
    dynamoEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  };
  await ensureTable(dynamoClient(config), config.table);
  await ensureTable(dynamoClient(config), config.table); // a second start finds it
  dynamo = new DynamoStateTable(config);
});
after(() => new Promise<void>((r) => server.close(() => r())));

const tables: [string, () => StateTable][] = [
  ['memory', () => new MemoryStateTable()],
  ['dynamodb (dynalite)', () => dynamo],
];

for (const [name, table] of tables) {
  describe(name, () => {
    test('20 racing conditional claims on one map with room for 4: exactly 4 win', async () => {
      const t = table();
      await t.put({ pk: 'race', sk: 'q', places: {} });
      const won = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          t.update(
            { pk: 'race', sk: 'q' },
            { set: { [`places.job${i}`]: i } },
            { exists: ['places'], sizeAtMost: { path: 'places', max: 3 } },
          ),
        ),
      );
      assert.equal(won.filter((w) => w !== null).length, 4);
      assert.equal(Object.keys((await t.get({ pk: 'race', sk: 'q' }))!.places as object).length, 4);
    });

    test('put if absent: the first writer wins; anyOf conditions; removing twice is idempotent', async () => {
      const t = table();
      const key = { pk: 'once', sk: 'x' };
      assert.equal(await t.put({ ...key, v: 1 }, { notExists: ['pk'] }), true);
      assert.equal(await t.put({ ...key, v: 2 }, { notExists: ['pk'] }), false);
      assert.equal((await t.get(key))?.v, 1);
      const claim = (outcome: string) =>
        t.update(key, { set: { outcome } }, { anyOf: [{ notExists: ['outcome'] }, { equals: { outcome } }] });
      assert.ok(await claim('succeeded'));
      assert.ok(await claim('succeeded'));
      assert.equal(await claim('canceled'), null);
      await t.update(key, { set: { m: { a: 1, b: 2 } } });
      await t.update(key, { remove: ['m.a'] });
      await t.update(key, { remove: ['m.a'] });
      assert.deepEqual((await t.get(key))?.m, { b: 2 });
    });

    test('append, add, setIfAbsent; a path into a missing map is an error and changes nothing', async () => {
      const t = table();
      const key = { pk: 'ops', sk: 'x' };
      await t.update(key, { append: { list: [1] }, add: { n: 2 }, setIfAbsent: { first: 'a' } });
      const after = await t.update(key, {
        append: { list: [2, 3] },
        add: { n: 3 },
        setIfAbsent: { first: 'b' },
      });
      assert.deepEqual(after && [after.list, after.n, after.first], [[1, 2, 3], 5, 'a']);
      await assert.rejects(t.update(key, { set: { 'missing.key': 1, n: 100 } }));
      assert.equal((await t.get(key))?.n, 5);
      assert.equal(await t.update({ pk: 'none', sk: 'x' }, { set: { a: 1 } }, { exists: ['pk'] }), null);
      assert.equal(await t.get({ pk: 'none', sk: 'x' }), null, 'a failed condition makes no item');
    });

    test('queries: a prefix or a range, newest first on an index, page by page past one page', async () => {
      const t = table();
      for (let i = 0; i < 30; i++)
        await t.put({
          pk: 'q',
          sk: `line#${String(i).padStart(3, '0')}`,
          gpk: 'owner',
          gsk: String(100 + i),
        });
      await t.put({ pk: 'q', sk: 'other' });
      assert.equal((await queryAll(t, { pk: 'q', prefix: 'line#' })).length, 30);
      const page = await t.query({ pk: 'q', prefix: 'line#', limit: 7 });
      assert.equal(page.items.length, 7);
      assert.ok(page.next);
      const rest = await queryAll(t, { pk: 'q', prefix: 'line#', limit: 100 });
      assert.deepEqual(
        rest.map((i) => i.sk),
        Array.from({ length: 30 }, (_, i) => `line#${String(i).padStart(3, '0')}`),
      );
      const newest = await queryAll(t, { pk: 'owner', index: 'byOwner', descending: true, limit: 3 });
      assert.deepEqual(
        newest.map((i) => i.gsk),
        ['129', '128', '127'],
      );
      const range = await queryAll(t, { pk: 'q', between: ['line#010', 'line#012'] });
      assert.deepEqual(
        range.map((i) => i.sk),
        ['line#010', 'line#011', 'line#012'],
      );
    });

    test('an item past its expiresAt reads as absent', async () => {
      const t = table();
      await t.put({ pk: 'ttl', sk: 'x', expiresAt: Math.floor(Date.now() / 1000) - 1 });
      assert.equal(await t.get({ pk: 'ttl', sk: 'x' }), null);
      assert.deepEqual((await t.query({ pk: 'ttl' })).items, []);
    });
  });
}
