/**
 * Configuration is read once, through one schema (variables.ts), into one typed object. A
 * bad value stops the program at start with the variable's name and what it must be.
 */
import { z } from 'zod';
import { VARIABLES, type VariableName } from './variables.ts';

const schema = z.object(
  Object.fromEntries(Object.entries(VARIABLES).map(([k, v]) => [k, v.schema])) as {
    [K in VariableName]: (typeof VARIABLES)[K]['schema'];
  },
);

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

type Env = Record<string, string | undefined>;

/** The configuration in `env`; empty values count as unset. Throws a ConfigError naming the variable. */
export function readConfig(env: Env = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(VARIABLES).flatMap((k) => (env[k] !== undefined && env[k] !== '' ? [[k, env[k]]] : [])),
  );
  const r = schema.safeParse(present);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = String(issue.path[0]);
  throw new ConfigError(name, `${name} ${issue.message}, but is ${JSON.stringify(env[name])}`);
}

let cached: Config | undefined;

/** This process's configuration, read from process.env at the first call. */
export function config(): Config {
  cached ??= readConfig(process.env);
  return cached;
}
