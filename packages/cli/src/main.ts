/** The `baton` command line. */
import { ConfigError } from '@baton/config';
import { BadRequestError } from '@baton/pipeline';
import { FeedError, ManifestError } from '@baton/runtime';
import { BATCH_USAGE, batchCommand } from './batch-command.ts';
import { EVAL_USAGE, evalCommand } from './eval-command.ts';
import { EVENTS_USAGE, eventsCommand } from './events-command.ts';
import { GENERATE_USAGE, generateCommand } from './generate-command.ts';
import { KEYS_USAGE, keysCommand } from './keys-command.ts';
import { RemoteError } from './remote.ts';
import { UsageError } from './usage-error.ts';
import { VOCAB_USAGE, vocabCommand } from './vocab-command.ts';

const USAGE = `Usage: baton <command> [options]

Commands:
  generate "PROMPT"   make an image (see baton generate --help)
  eval                measure prompt alignment on the shapes domain (see baton eval --help)
  keys                create, revoke and list API keys (see baton keys --help)
  vocab               the words prompts may use with the model (see baton vocab --help)
  batch               run many prompts as one batch (OpenAI's Batch API; see baton batch --help)
  events              the local stack's job and batch events (see baton events --help)

${GENERATE_USAGE}

${EVAL_USAGE}

${KEYS_USAGE}

${VOCAB_USAGE}

${BATCH_USAGE}

${EVENTS_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'generate') return await generateCommand(rest);
    if (command === 'eval') return await evalCommand(rest);
    if (command === 'keys') return await keysCommand(rest);
    if (command === 'vocab') return await vocabCommand(rest);
    if (command === 'batch') return await batchCommand(rest);
    if (command === 'events') return await eventsCommand(rest);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      console.error(`baton: ${e.message}\nRun "baton --help" for usage.`);
      return 2;
    }
    if (e instanceof ConfigError) {
      console.error(`baton: ${e.message}. Fix or unset ${e.variable}.`);
      return 2;
    }
    if (e instanceof BadRequestError) {
      console.error(`baton: ${e.field}: ${e.message}`);
      return 2;
    }
    if (e instanceof ManifestError || e instanceof FeedError || e instanceof RemoteError) {
      const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
      console.error(`baton: ${e.message}${cause}`);
      return 1;
    }
    const refused = unreachable(e);
    if (refused) {
      console.error(
        `baton: nothing answers at ${refused}: is the local stack running (npm start)? Or point --stack / --api elsewhere.`,
      );
      return 1;
    }
    console.error(`baton: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** The address a refused connection was to (the error, its cause, or one of several), if that is what failed. */
function unreachable(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (x: unknown): string | undefined => {
    if (!x || typeof x !== 'object' || seen.has(x)) return undefined;
    seen.add(x);
    const o = x as { code?: string; address?: string; port?: number; cause?: unknown; errors?: unknown[] };
    if (o.code === 'ECONNREFUSED') return o.address ? `${o.address}:${o.port ?? ''}` : 'the address given';
    return walk(o.cause) ?? (o.errors ?? []).map(walk).find(Boolean);
  };
  return walk(e);
}
