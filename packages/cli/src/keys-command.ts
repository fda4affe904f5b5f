/**
 * `baton keys create --name NAME | revoke ID_OR_NAME | list`: API keys in the state table of
 * the running local stack (.baton/stack.json, written by npm start), or of a deployment
 * (--table NAME, with the usual AWS credentials). Keys are stored only as hashes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AwsConfig, DynamoStateTable } from '@baton/aws';
import { config, localHome } from '@baton/config';
import { DuplicateKeyNameError, KEY_CACHE_MS, KeyStore } from '@baton/service';
import { parseFlags } from './flags.ts';
import { UsageError } from './usage-error.ts';

export const KEYS_USAGE = `Usage: baton keys create --name NAME
       baton keys revoke ID_OR_NAME
       baton keys list

  --table NAME    a deployment's state table (AWS credentials from the environment), instead of the local stack
  --stack FILE    the local stack's description (default .baton/stack.json, written by npm start)`;

function tableFor(table: string | undefined, stackFile: string | undefined): DynamoStateTable {
  if (table) return new DynamoStateTable({ region: process.env.AWS_REGION ?? 'us-east-1', table });
  const file = stackFile ?? join(localHome(config()), 'stack.json');
  if (!existsSync(file))
    throw new UsageError(
      `no running local stack found (${file} is missing): run npm start, or give --table NAME`,
    );
  return new DynamoStateTable(JSON.parse(readFileSync(file, 'utf8')) as AwsConfig);
}

export async function keysCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      name: { type: 'string' },
      table: { type: 'string' },
      bucket: { type: 'string' },
      stack: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  const [action, target] = positionals;
  if (values.help || !action) {
    console.log(KEYS_USAGE);
    return values.help ? 0 : 2;
  }
  if (values.bucket)
    throw new UsageError(
      'keys live in the state table now, not the bucket: give --table NAME (the stateTable output of sst deploy)',
    );
  const keys = () => new KeyStore(tableFor(values.table, values.stack), 0);
  if (action === 'create') {
    if (!values.name) throw new UsageError('keys create needs --name NAME');
    let created: Awaited<ReturnType<KeyStore['create']>>;
    try {
      created = await keys().create(values.name);
    } catch (e) {
      if (e instanceof RangeError || e instanceof DuplicateKeyNameError) throw new UsageError(e.message);
      throw e;
    }
    console.log(`id: ${created.record.id}`);
    console.log(`webhook secret: ${created.record.webhookSecret}`);
    console.log(`key (shown once; only its hash is stored): ${created.key}`);
    return 0;
  }
  if (action === 'revoke') {
    if (!target) throw new UsageError('keys revoke needs the key id or name');
    const revoked = await keys().revoke(target);
    if (revoked.length === 0) throw new UsageError(`no active key with id or name "${target}"`);
    for (const r of revoked)
      console.log(
        `revoked ${r.id} (${r.name}): API instances refuse it within ${KEY_CACHE_MS / 1000} s (they trust a verified key that long)`,
      );
    return 0;
  }
  if (action === 'list') {
    for (const r of await keys().list()) {
      console.log(
        `${r.id}  ${r.name.padEnd(20)} ${new Date(r.createdAt).toISOString()}${r.revokedAt ? '  revoked' : ''}`,
      );
    }
    return 0;
  }
  throw new UsageError(`unknown keys action "${action}" (create, revoke, list)`);
}
