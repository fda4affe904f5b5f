/**
 * 6. Progressive previews, as a client of the local stack sees them: a 256 px standard image
 * streamed with `partial_images: 2` (OpenAI's image streaming events), time to the first
 * partial and to the completed event, from the request's start.
 */
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Milliseconds from the request to each event, in order. */
async function streamed(api: string, headers: Record<string, string>, seed: number) {
  const t0 = performance.now();
  const r = await fetch(`${api}/v1/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      prompt: 'a large red circle in the top left corner, on a white background',
      size: '256x256',
      seed,
      stream: true,
      partial_images: 2,
    }),
  });
  if (r.status !== 200 || !r.body) throw new Error(`images/generations answered ${r.status}`);
  const at: { type: string; ms: number }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of r.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const type = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
      buffer = buffer.slice(end + 2);
      if (type) at.push({ type, ms: performance.now() - t0 });
    }
  }
  const first = at.find((e) => e.type === 'image_generation.partial_image');
  const done = at.find((e) => e.type === 'image_generation.completed');
  if (!first || !done)
    throw new Error(`stream ended without a partial and the image: ${at.map((e) => e.type)}`);
  return { first: first.ms, done: done.ms };
}

export async function previewLatency(api: string, headers: Record<string, string>, reps: number) {
  console.log(
    '\n6. Progressive previews: 256 px standard, stream: true, partial_images: 2 (client of the local stack)',
  );
  await streamed(api, headers, 1); // warm the relay and decode workers at 256 px
  const first: number[] = [];
  const done: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = await streamed(api, headers, 100 + i);
    first.push(t.first);
    done.push(t.done);
  }
  const ratio = median(first.map((f, i) => f / done[i]!));
  console.log(
    `   first partial (the base's 64 px image): ${median(first).toFixed(0)} ms (median of ${reps})`,
  );
  console.log(`   completed event:                        ${median(done).toFixed(0)} ms`);
  console.log(`   first partial / completed: ${ratio.toFixed(2)} (target ≤ 0.35)`);
}
