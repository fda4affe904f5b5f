/**
 * The `baton` command line. A command's module (and what it needs: the model runtime, the AWS
 * SDK) is loaded only when that command runs, so `baton vocab` does not pay for `generate`.
 */
import { ConfigError } from '@baton/config';
import { RemoteError } from './remote.ts';
import { UsageError } from './usage-error.ts';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  generate: async () => (await import('./generate-command.ts')).generateCommand,
  continue: async () => (await import('./continue-command.ts')).continueCommand,
  upscale: async () => (await import('./upscale-command.ts')).upscaleCommand,
  eval: async () => (await import('./eval-command.ts')).evalCommand,
  keys: async () => (await import('./keys-command.ts')).keysCommand,
  vocab: async () => (await import('./vocab-command.ts')).vocabCommand,
  batch: async () => (await import('./batch-command.ts')).batchCommand,
  events: async () => (await import('./events-command.ts')).eventsCommand,
};

/** The whole usage: every command's own (loads them all; only --help needs it). */
async function usage(): Promise<string> {
  const [g, c, u, e, k, v, b, ev] = await Promise.all([
    import('./generate-command.ts'),
    import('./continue-command.ts'),
    import('./upscale-command.ts'),
    import('./eval-command.ts'),
    import('./keys-command.ts'),
    import('./vocab-command.ts'),
    import('./batch-command.ts'),
    import('./events-command.ts'),
  ]);
  return `Usage: baton <command> [options]

Commands:
  generate "PROMPT"   make an image (see baton generate --help)
  continue JOB_ID     finish a succeeded job (a draft) at a larger size, through an API
  upscale IN          your own image through the relays (see baton upscale --help)
  eval                measure prompt alignment on the shapes domain (see baton eval --help)
  keys                create, revoke and list API keys (see baton keys --help)
  vocab               the words prompts may use with the model (see baton vocab --help)
  batch               run many prompts as one batch (OpenAI's Batch API; see baton batch --help)
  events              the local stack's job and batch events (see baton events --help)

${g.GENERATE_USAGE}

${c.CONTINUE_USAGE}

${u.UPSCALE_USAGE}

${e.EVAL_USAGE}

${k.KEYS_USAGE}

${v.VOCAB_USAGE}

${b.BATCH_USAGE}

${ev.EVENTS_USAGE}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const load = command === undefined ? undefined : COMMANDS[command];
    if (load) return await (await load())(rest);
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      console.log(await usage());
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
    // By name: their modules are loaded only by the commands that throw them.
    if (e instanceof Error && e.name === 'BadRequestError') {
      console.error(`baton: ${(e as Error & { field: string }).field}: ${e.message}`);
      return 2;
    }
    if (
      e instanceof RemoteError ||
      (e instanceof Error && (e.name === 'ManifestError' || e.name === 'FeedError'))
    ) {
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
