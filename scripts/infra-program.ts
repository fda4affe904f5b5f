/**
 * Evaluates the whole deploy program (sst.config.ts's `run()`, every infra/ file) offline under
 * Pulumi's unit-test mocks, and returns what it would create: every function (handler, links,
 * timeout, streaming, the queue it consumes), every queue (visibility timeout), the bucket's
 * lifecycle rules and the table's TTL. The raw Pulumi resources are the real ones (from SST's
 * platform, installed by `npm run check:infra`); SST's own components are recording stand-ins
 * that keep the arguments the program passes them (their real versions build functions through
 * the SST CLI's server, which does not run offline). Used by test/infra-program.test.ts and by
 * scripts/check-aws.ts (the functions it packages).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const platform = join(root, '.sst/platform/node_modules');

/** SST's platform is installed (npm run check:infra): the program can be evaluated. */
export const platformInstalled = () => existsSync(join(platform, '@pulumi/aws'));

/** The arguments a program passes a component: any shape SST takes. */
// biome-ignore lint/suspicious/noExplicitAny: recorded as given, read by the checks that know their shape.
export type Loose = Record<string, any>;

export interface ProgramFunction {
  /** The component's name (or `<Queue>Subscriber` for a queue's subscriber, `<Cron>` for a cron's). */
  name: string;
  /** `functions/x/index.handler` */
  handler: string;
  /** Names of the components linked (what `Resource.<name>` may read). */
  links: string[];
  timeoutSeconds: number;
  streaming: boolean;
  environment: Record<string, string>;
  /** The queue whose messages invoke it, and the subscription's options (batch size, window). */
  consumes?: string;
  subscription?: Loose;
  args: Loose;
}

export interface Program {
  functions: ProgramFunction[];
  queues: { name: string; visibilityTimeoutSeconds: number; dlq?: string }[];
  tables: { name: string; ttl?: string }[];
  buckets: string[];
  /** Raw Pulumi resources registered (type, name, inputs). */
  resources: { type: string; name: string; inputs: Loose }[];
}

/** "30 seconds", "2 minutes" → seconds. */
export function seconds(duration: string | undefined, fallback: number): number {
  if (!duration) return fallback;
  const m = /^(\d+(?:\.\d+)?) (second|minute|hour)s?$/.exec(duration);
  if (!m) throw new Error(`cannot read the duration ${JSON.stringify(duration)}`);
  return Number(m[1]) * { second: 1, minute: 60, hour: 3600 }[m[2] as 'second' | 'minute' | 'hour'];
}

let evaluated: Promise<Program> | undefined;

/** The program as `env` (BATON_PROFILE etc.) deploys it; evaluated once per process. */
export function evaluateProgram(env: Record<string, string> = {}): Promise<Program> {
  evaluated ??= evaluate(env);
  return evaluated;
}

async function evaluate(env: Record<string, string>): Promise<Program> {
  const require = createRequire(join(platform, 'x.js'));
  const pulumi = require('@pulumi/pulumi');
  const program: Program = { functions: [], queues: [], tables: [], buckets: [], resources: [] };
  await pulumi.runtime.setMocks(
    {
      newResource: (a: { type: string; name: string; inputs: Record<string, unknown> }) => {
        program.resources.push({ type: a.type, name: a.name, inputs: a.inputs as Loose });
        return {
          id: `${a.name}-id`,
          state: { ...a.inputs, arn: `arn:aws:mock::${a.name}`, name: a.inputs.name ?? a.name },
        };
      },
      call: (a: { token: string }) =>
        a.token.includes('getRegion')
          ? { name: 'us-east-1', region: 'us-east-1', id: 'us-east-1' }
          : a.token.includes('getParameter')
            ? { value: 'ami-123', name: 'ami' }
            : {},
    },
    'baton',
    'test',
  );
  const output = (v: unknown) => pulumi.output(v);
  const linkName = (l: unknown) => (l as { componentName?: string }).componentName ?? String(l);
  const addFunction = (name: string, args: Loose, consumes?: string, subscription?: Loose) => {
    const timeout = seconds(args.timeout, 20);
    program.functions.push({
      name,
      handler: args.handler,
      links: (args.link ?? []).map(linkName),
      timeoutSeconds: timeout,
      streaming: Boolean(args.streaming),
      environment: args.environment ?? {},
      ...(consumes && { consumes }),
      ...(subscription && { subscription }),
      args,
    });
  };
  /** What every SST stand-in has: its name, and outputs named as SST's have them. */
  class Component {
    readonly componentName: string;
    readonly name: unknown;
    readonly arn: unknown;
    readonly url: unknown;
    constructor(name: string) {
      this.componentName = name;
      this.name = output(name);
      this.arn = output(`arn:aws:mock::${name}`);
      this.url = output(`https://mock/${name}`);
    }
  }
  class Queue extends Component {
    readonly nodes: { queue: { name: unknown } };
    constructor(name: string, args: { visibilityTimeout?: string; dlq?: { queue: unknown } } = {}) {
      super(name);
      this.nodes = { queue: { name: this.name } };
      program.queues.push({ name, visibilityTimeoutSeconds: seconds(args.visibilityTimeout, 30) });
    }
    subscribe(fn: Loose, opts?: Loose) {
      addFunction(`${this.componentName}Subscriber${program.functions.length}`, fn, this.componentName, opts);
      return {};
    }
  }
  Object.assign(globalThis, {
    aws: require('@pulumi/aws'),
    $jsonStringify: pulumi.jsonStringify,
    $interpolate: pulumi.interpolate,
    $app: { name: 'baton', stage: 'test' },
    $config: (c: unknown) => c,
    sst: {
      Secret: class extends Component {
        readonly value = output('secret');
      },
      aws: {
        Queue,
        Bucket: class extends Component {
          constructor(name: string) {
            super(name);
            program.buckets.push(name);
          }
          notify() {}
        },
        Dynamo: class extends Component {
          constructor(name: string, args: { ttl?: string }) {
            super(name);
            program.tables.push({ name, ...(args.ttl && { ttl: args.ttl }) });
          }
        },
        Function: class extends Component {
          constructor(name: string, args: Loose) {
            super(name);
            addFunction(name, args);
          }
        },
        CronV2: class extends Component {
          constructor(name: string, args: { function: Loose }) {
            super(name);
            addFunction(name, args.function);
          }
        },
        Router: class extends Component {
          route() {}
        },
        Bus: Component,
        Vpc: class extends Component {
          readonly id = output('vpc-1');
          readonly securityGroups = output(['sg-1']);
          readonly privateSubnets = output(['subnet-1']);
          readonly nodes = { privateRouteTables: output([{ id: output('rtb-1') }]) };
        },
      },
    },
  });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const config = (await import(join(root, 'sst.config.ts'))).default as { run(): Promise<unknown> };
    await config.run();
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
  }
  // Let the mocked raw resources register (their inputs resolve asynchronously).
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return program;
}
