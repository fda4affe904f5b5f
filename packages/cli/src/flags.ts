/**
 * Flags as Baton says them: parseArgs underneath, but the errors are ours. A negative number
 * after a flag is that flag's value (`--seed -1` reaches the range check, not Node's "ambiguous
 * argument"), and an unknown flag gets the valid ones with a did-you-mean.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

export function didYouMean(flag: string, known: readonly string[]): string | undefined {
  const best = known.map((k) => ({ k, d: distance(flag, k) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(flag.length / 3)) ? best.k : undefined;
}

export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals: boolean) {
  const args = [...argv];
  // "--seed -1": a value that looks like a negative number belongs to the string flag before it.
  for (let i = 0; i < args.length - 1; i++) {
    const name = /^--([\w-]+)$/.exec(args[i]!)?.[1];
    if (name && options[name]?.type === 'string' && /^-\d/.test(args[i + 1]!)) {
      args.splice(i, 2, `--${name}=${args[i + 1]}`);
    }
  }
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const flag = /'(-{1,2}[^']+)'/.exec((e as Error).message)?.[1] ?? '';
    const known = Object.keys(options).map((k) => `--${k}`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const guess = didYouMean(flag.split('=')[0]!, known);
      throw new UsageError(
        `unknown flag ${flag}${guess ? `; did you mean ${guess}?` : ''} (valid: ${known.join(', ')})`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = /--[\w-]+/.exec(flag)?.[0] ?? 'a flag';
      throw new UsageError(`${name} needs a value: ${name} VALUE (or ${name}=VALUE)`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`unexpected argument ${/'([^']+)'/.exec((e as Error).message)?.[1] ?? ''}`);
    }
    throw e;
  }
}
