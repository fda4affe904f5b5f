/** `npm start`: the whole system on this machine, on the default model. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from './stack.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = process.env.BATON_DATA_DIR ?? join(root, '.baton', 's3');
const stack = await startStack({
  dataDir,
  apiPort: Number(process.env.PORT ?? 8787),
  s3Port: Number(process.env.BATON_S3_PORT ?? 4569),
  sqsPort: Number(process.env.BATON_SQS_PORT ?? 4576),
});
const u = stack.apiUrl;
console.log(`
Baton is running (data in ${dataDir}).
  API         ${u}
  OpenAPI     ${u}/openapi.json
  S3 (local)  ${stack.config.s3Endpoint}   SQS (local) ${stack.config.sqsEndpoint}

Try:
  curl -s ${u}/v1/images/generations -H 'content-type: application/json' \\
    -d '{"prompt":"a big red circle top left on white","size":"128x128","seed":1}' | head -c 300; echo
  curl -s ${u}/v1/jobs -H 'content-type: application/json' -d '{"prompt":"blue box","size":"256x256"}'
  npx baton generate "green triangle" --api ${u}

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
