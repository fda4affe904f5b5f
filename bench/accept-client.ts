/**
 * The client side of section 7's accept latencies, in a process of its own (as a user's client
 * is): its own HTTP work never shares the API's event loop. Run by cost.ts with the API's URL
 * and the keys; prints one JSON line: each submit's time and status, per scenario.
 */
const { apiUrl, keys } = JSON.parse(process.argv[2]!) as { apiUrl: string; keys: string[] };

const submit = async (key: string, seed: number) => {
  const t0 = performance.now();
  const r = await fetch(`${apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ prompt: 'a red circle', size: '64x64', seed }),
  });
  await r.arrayBuffer();
  return { ms: performance.now() - t0, status: r.status };
};

const idle = [];
for (let i = 0; i < 10; i++) idle.push(await submit(keys[0]!, i));
// Every key once before the bursts: a key's first request reads it and makes its quota item.
await Promise.all(keys.map((k, i) => submit(k, 50 + i)));
const one = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(keys[0]!, 100 + i)));
const many = await Promise.all(
  Array.from({ length: 100 }, (_, i) => submit(keys[i % keys.length]!, 200 + i)),
);
// Past the backlog bound (no workers drain the queue here): every answer still at once, accepted or refused.
const flood = await Promise.all(
  Array.from({ length: 200 }, (_, i) => submit(keys[i % keys.length]!, 400 + i)),
);
console.log(JSON.stringify({ idle, one, many, flood }));
