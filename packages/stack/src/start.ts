/** `npm start`: the whole system on this machine, on the default model. */
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Config, ConfigError, config, localDataDir, localHome } from '@baton/config';
import { jsonLogger } from '@baton/worker';
import { keptSecret } from './kept-secret.ts';
import { startStack } from './stack.ts';

/** A bad variable or a port in use: say which and what fixes it, without a stack trace. */
function fail(message: string): never {
  console.error(`baton: ${message}`);
  process.exit(2);
}

let c: Config;
try {
  c = config();
} catch (e) {
  if (e instanceof ConfigError) fail(`${e.message}. Fix or unset ${e.variable}.`);
  throw e;
}
// The data in BATON_DATA_DIR (default .baton/s3); the key, description and events beside it.
const dataDir = localDataDir(c);
const home = localHome(c);
mkdirSync(home, { recursive: true });
const keyFile = join(home, 'local-key');
// The key of an earlier start is this start's too (the playground fills it in).
const saved = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() || undefined : undefined;
const givenKey = c.BATON_API_KEY ?? saved;
// Image links signed by an earlier start still work after a restart: the secret is kept with the data.
const urlSecret = c.BATON_URL_SECRET ?? keptSecret(join(dataDir, '.url-secret'));
const ports = {
  PORT: c.PORT,
  BATON_S3_PORT: c.BATON_S3_PORT,
  BATON_SQS_PORT: c.BATON_SQS_PORT,
  BATON_DYNAMODB_PORT: c.BATON_DYNAMODB_PORT,
};
// The JSON log lines (every stage done, every consumer's step) go to a file beside the data, not
// the terminal: the terminal shows what to do; `tail -f` the file to watch the stack work.
const logFile = join(home, 'stack.log');
const logFd = openSync(logFile, 'a');
const stack = await startStack({
  dataDir,
  workerLogs: logFd,
  log: jsonLogger({ service: 'stack' }, (line) => void writeSync(logFd, line)),
  urlSecret,
  ...(givenKey && { apiKey: givenKey }),
  apiPort: ports.PORT,
  s3Port: ports.BATON_S3_PORT,
  sqsPort: ports.BATON_SQS_PORT,
  dynamoPort: ports.BATON_DYNAMODB_PORT,
  ...(c.BATON_WEBHOOK_ALLOWED_HOSTS && { webhookAllowedHosts: c.BATON_WEBHOOK_ALLOWED_HOSTS }),
}).catch((e: NodeJS.ErrnoException & { port?: number }) => {
  if (e.code !== 'EADDRINUSE') throw e;
  const inUse = Object.entries(ports).find(([, p]) => e.message.includes(`:${p}`) || e.port === p);
  fail(
    inUse
      ? `port ${inUse[1]} is already in use (another stack running?). Stop it, or choose another port with ${inUse[0]}=…`
      : `a port is already in use (${e.message}). Choose others with PORT, BATON_S3_PORT, BATON_SQS_PORT and BATON_DYNAMODB_PORT.`,
  );
});
const u = stack.apiUrl;
// For `npx baton keys …` and scripts: where this stack's bucket is.
writeFileSync(join(home, 'stack.json'), JSON.stringify({ ...stack.config, apiUrl: u }, null, 2));
if (stack.apiKey && !c.BATON_API_KEY && !saved) writeFileSync(keyFile, `${stack.apiKey}\n`, { mode: 0o600 });
const key = c.BATON_API_KEY
  ? '$BATON_API_KEY'
  : existsSync(keyFile)
    ? `$(cat ${relative(process.cwd(), keyFile)})`
    : '<your key>';
if (stack.apiKey && !c.BATON_API_KEY && !saved)
  console.log(`Created a local API key (saved in ${relative(process.cwd(), keyFile)}): ${stack.apiKey}`);
console.log(`
Baton is running (data in ${dataDir}; logs in ${relative(process.cwd(), logFile)}).
  API         ${u}
  OpenAPI     ${u}/openapi.json
  S3 (local)  ${stack.config.s3Endpoint}   SQS (local) ${stack.config.sqsEndpoint}
  DynamoDB    ${stack.config.dynamoEndpoint} (table ${stack.config.table})

Try:
  curl -s ${u}/v1/images/generations -H "authorization: Bearer ${key}" -H 'content-type: application/json' \\
    -d '{"prompt":"a big red circle top left on white","size":"128x128","seed":1}' | head -c 300; echo
  curl -s ${u}/v1/jobs -H "authorization: Bearer ${key}" -H 'content-type: application/json' -d '{"prompt":"blue box","size":"256x256"}'
  BATON_API_KEY=${key} npx baton generate "green triangle" --api ${u}
  Playground: ${u}/

Ctrl-C stops it; accepted jobs finish after a restart.
`);
let stopping = false;
const stop = async (why: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log(`\nstopping (${why})…`);
  await stack.close();
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void stop(sig));
// `npm start` does not pass SIGTERM on to this process: when the process that started us goes
// away (we are handed to another parent), stop too, whichever process received the signal.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stop('its launcher exited');
}, 500).unref();
