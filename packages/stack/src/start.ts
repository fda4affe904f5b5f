/** `npm start`: the whole system on this machine, on the default model. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from './stack.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = process.env.BATON_DATA_DIR ?? join(root, '.baton', 's3');
const keyFile = join(root, '.baton', 'local-key');
const stack = await startStack({
  dataDir,
  ...(process.env.BATON_API_KEY && { apiKey: process.env.BATON_API_KEY }),
  apiPort: Number(process.env.PORT ?? 8787),
  s3Port: Number(process.env.BATON_S3_PORT ?? 4569),
  sqsPort: Number(process.env.BATON_SQS_PORT ?? 4576),
});
const u = stack.apiUrl;
// For `npx baton keys …` and scripts: where this stack's bucket is.
writeFileSync(join(root, '.baton', 'stack.json'), JSON.stringify({ ...stack.config, apiUrl: u }, null, 2));
if (stack.apiKey && !process.env.BATON_API_KEY) writeFileSync(keyFile, `${stack.apiKey}\n`, { mode: 0o600 });
const key = process.env.BATON_API_KEY
  ? '$BATON_API_KEY'
  : existsSync(keyFile)
    ? '$(cat .baton/local-key)'
    : '<your key>';
if (stack.apiKey && !process.env.BATON_API_KEY)
  console.log(`Created a local API key (saved in .baton/local-key): ${stack.apiKey}`);
console.log(`
Baton is running (data in ${dataDir}).
  API         ${u}
  OpenAPI     ${u}/openapi.json
  S3 (local)  ${stack.config.s3Endpoint}   SQS (local) ${stack.config.sqsEndpoint}

Try:
  curl -s ${u}/v1/images/generations -H "authorization: Bearer ${key}" -H 'content-type: application/json' \\
    -d '{"prompt":"a big red circle top left on white","size":"128x128","seed":1}' | head -c 300; echo
  curl -s ${u}/v1/jobs -H "authorization: Bearer ${key}" -H 'content-type: application/json' -d '{"prompt":"blue box","size":"256x256"}'
  BATON_API_KEY=${key} npx baton generate "green triangle" --api ${u}
  Playground: ${u}/

Ctrl-C stops it; accepted jobs finish after a restart.
`);
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nstopping…');
    await stack.close();
    process.exit(0);
  });
}
