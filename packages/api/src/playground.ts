/** The playground page served at `/`: prompt in, live progress by stage and step, the image, a gallery. */
import type { Manifest } from '@baton/runtime/manifest';

/** The page's styles (no interpolation). */
const STYLE = `
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #f6f6f4; color: #1d1d1f; }
  main { max-width: 920px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 20px; margin: 0 0 16px; }
  form { display: grid; grid-template-columns: 1fr 1fr 1fr 1fr; gap: 10px; background: #fff; padding: 16px; border-radius: 10px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #555; gap: 4px; }
  label.wide { grid-column: 1 / -1; }
  input, select, button { font: inherit; padding: 7px 9px; border: 1px solid #ccc; border-radius: 6px; }
  button { background: #1d1d1f; color: #fff; border: 0; cursor: pointer; grid-column: 4; }
  button:disabled { opacity: .5; cursor: default; }
  #run { display: grid; grid-template-columns: 260px 1fr; gap: 16px; margin: 16px 0; background: #fff; padding: 16px; border-radius: 10px; }
  #result { width: 256px; height: 256px; image-rendering: pixelated; background: #eee; border-radius: 6px; object-fit: contain; }
  .stage { display: grid; grid-template-columns: 70px 1fr 70px; align-items: center; gap: 8px; font-size: 13px; }
  progress { width: 100%; }
  #caption { color: #555; font-size: 13px; margin-top: 8px; }
  #error { color: #b00020; }
  #previews { display: flex; align-items: flex-end; gap: 10px; margin-top: 8px; flex-wrap: wrap; }
  #previews figure { margin: 0; font-size: 11px; color: #555; text-align: center; }
  #previews img { display: block; image-rendering: pixelated; border-radius: 4px; background: #eee; }
  #warnings { color: #8a5a00; font-size: 13px; margin: 6px 0 0; padding-left: 18px; }
  #vocab { font-size: 12px; color: #555; }
  #vocab pre { white-space: pre-wrap; margin: 6px 0 0; font-size: 11px; }
  #gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 10px; }
  #gallery figure { margin: 0; background: #fff; padding: 6px; border-radius: 8px; font-size: 11px; color: #555; }
  #gallery img { width: 100%; image-rendering: pixelated; border-radius: 4px; }
  #meta { font-size: 13px; color: #555; margin-top: 6px; display: flex; gap: 12px; }
  #drafts { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 12px 0; }
  #drafts button { grid-column: auto; padding: 4px; background: #fff; border: 2px solid transparent; }
  #drafts button:hover { border-color: #1d1d1f; }
  #drafts img { width: 100%; image-rendering: pixelated; border-radius: 4px; display: block; }
  #go-drafts { grid-column: 3; background: #555; }
`;

/** The page's script: talks to the API with the key the user types (no interpolation). */
const SCRIPT = `
const $ = (id) => document.getElementById(id);
// The local stack fills in its own key (it serves loopback only); elsewhere the user's, remembered.
$('key').value = document.body.dataset.localKey || localStorage.getItem('baton-key') || '';
const headers = () => ({ 'content-type': 'application/json', authorization: 'Bearer ' + $('key').value.trim() });

async function gallery() {
  const r = await fetch('/v1/jobs?limit=12', { headers: headers() });
  if (!r.ok) return;
  const { data } = await r.json();
  $('gallery').replaceChildren(...data.filter((j) => j.result).map((j) => {
    const f = document.createElement('figure');
    const img = document.createElement('img');
    img.src = j.result.image_url; img.alt = j.revised_prompt;
    const c = document.createElement('figcaption');
    c.textContent = j.revised_prompt;
    f.append(img, c);
    return f;
  }));
}

// Each stage's image as it arrives, at its own size: 64 px after the base, then 128, 256 …
function renderPreviews(job) {
  const strip = $('previews');
  const shown = job.stages.map((s) => [s.name, s.preview_url]).filter(([, url]) => url);
  if (job.status === 'succeeded') shown.push(['final', job.result.image_url]);
  for (const [name, url] of shown) {
    if (strip.querySelector('[data-stage="' + name + '"]')) continue; // links are re-signed each event: load once
    const f = document.createElement('figure'); f.dataset.stage = name;
    const img = document.createElement('img'); img.src = url; img.alt = name;
    img.addEventListener('load', () => { img.width = img.naturalWidth; });
    const cap = document.createElement('figcaption'); cap.textContent = name;
    f.append(img, cap); strip.append(f);
  }
}

function render(job) {
  renderPreviews(job);
  $('status').textContent = job.status + (job.progress ? ' · ' + job.progress.stage + ' ' + job.progress.step + '/' + (job.progress.of ?? '?') : '');
  $('caption').textContent = job.revised_prompt;
  // What the caption could not say of the prompt, beside it.
  $('warnings').replaceChildren(...(job.warnings ?? []).map((w) => {
    const li = document.createElement('li'); li.textContent = w; return li;
  }));
  $('stages').replaceChildren(...job.stages.map((s) => {
    const row = document.createElement('div');
    row.className = 'stage'; row.dataset.stage = s.name; row.dataset.status = s.status;
    const p = document.createElement('progress');
    p.max = s.of ?? 1; p.value = s.status === 'done' ? p.max : (s.step ?? 0);
    const name = document.createElement('span'); name.textContent = s.name;
    const t = document.createElement('span'); t.textContent = s.ms != null ? s.ms + ' ms' : (s.step != null ? s.step + '/' + s.of : '');
    row.append(name, p, t);
    return row;
  }));
  if (job.status === 'succeeded') {
    $('result').src = job.result.image_url; $('result').hidden = false;
    // The seed it was made with (random when none was given): what makes it again, and a download.
    $('seed-used').textContent = 'seed ' + job.seed + (job.continued_from ? ' · finished from ' + job.continued_from : '');
    $('download').href = job.result.image_url; $('download').download = 'baton-' + job.seed + '-' + job.size + '.png';
    $('download').hidden = false;
  }
  if (job.status === 'failed') $('error').textContent = job.error?.reason ?? 'failed';
}

const TERMINAL = ['succeeded', 'failed', 'canceled'];

// A stream can end before the job does (a proxy's timeout, a dropped connection): read the job
// and follow it again until it is finished.
async function follow(id) {
  for (let tries = 0; tries < 60; tries++) {
    const last = await followOnce(id).catch(() => null);
    if (last && TERMINAL.includes(last.status)) return;
    const r = await fetch('/v1/jobs/' + id, { headers: headers() });
    if (r.ok) { const job = await r.json(); render(job); if (TERMINAL.includes(job.status)) return; }
    else if (r.status < 500) return; // gone, or the key no longer works: nothing to follow
    await new Promise((done) => setTimeout(done, 500));
  }
}

async function followOnce(id) {
  let last = null;
  const res = await fetch('/v1/jobs/' + id + '/events', { headers: headers() });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let i;
    while ((i = buffer.indexOf('\\n\\n')) >= 0) {
      const block = buffer.slice(0, i); buffer = buffer.slice(i + 2);
      const data = block.split('\\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\\n');
      if (data) { last = JSON.parse(data); render(last); }
    }
  }
  return last;
}

$('result').addEventListener('error', () => { $('result').hidden = true; });

/** A new job on screen: nothing of the previous one stays (no stale stages, no broken image). */
function clearRun() {
  $('error').textContent = ''; $('run').hidden = false;
  $('result').removeAttribute('src'); $('result').hidden = true; $('download').hidden = true; $('seed-used').textContent = '';
  $('status').textContent = ''; $('caption').textContent = ''; $('warnings').replaceChildren(); $('stages').replaceChildren(); $('previews').replaceChildren();
}

/** POSTs a job (or a continuation), shows it and follows it to its end. */
async function run(path, body) {
  if (!document.body.dataset.localKey) localStorage.setItem('baton-key', $('key').value.trim());
  $('go').disabled = true; $('go-drafts').disabled = true;
  clearRun();
  try {
    const r = await fetch(path, { method: 'POST', headers: headers(), body: JSON.stringify(body) });
    const job = await r.json();
    if (!r.ok) { $('error').textContent = (job.error?.param ? job.error.param + ': ' : '') + job.error?.message; return; }
    render(job);
    await follow(job.id);
    await gallery();
  } catch (err) {
    $('error').textContent = String(err);
  } finally {
    $('go').disabled = false; $('go-drafts').disabled = false;
  }
}

const request = () => {
  const body = { prompt: $('prompt').value, size: Number($('size').value), variant: $('variant').value };
  if ($('seed').value !== '') body.seed = Number($('seed').value);
  return body;
};

$('form').addEventListener('submit', (e) => { e.preventDefault(); run('/v1/jobs', request()); });

// Drafts: four 64 px images (the base stage alone, the cheapest), side by side; a click finishes
// that one at the chosen size from its stored latents (POST /v1/jobs/{id}/continue).
$('go-drafts').addEventListener('click', async () => {
  if (!$('form').reportValidity()) return;
  const base = $('seed').value !== '' ? Number($('seed').value) : Math.floor(Math.random() * 1e9);
  $('drafts').replaceChildren(); $('error').textContent = '';
  const made = await Promise.all([0, 1, 2, 3].map(async (i) => {
    const r = await fetch('/v1/jobs', { method: 'POST', headers: headers(), body: JSON.stringify({ ...request(), size: 64, seed: base + i }) });
    return r.json();
  }));
  const bad = made.find((j) => j.error);
  if (bad) { $('error').textContent = (bad.error.param ? bad.error.param + ': ' : '') + bad.error.message; return; }
  for (const j of made) {
    const b = document.createElement('button'); b.type = 'button'; b.className = 'draft'; b.dataset.job = j.id;
    b.title = 'seed ' + j.seed + ': click to finish at the chosen size';
    const img = document.createElement('img'); img.alt = 'draft, seed ' + j.seed; b.append(img);
    b.addEventListener('click', () => {
      const size = Number($('size').value);
      if (size <= 64) { $('error').textContent = 'size: choose a size larger than the 64 px drafts to finish one'; return; }
      run('/v1/jobs/' + j.id + '/continue', { size });
    });
    $('drafts').append(b);
  }
  // Each draft's image as it is done.
  await Promise.all(made.map(async (j) => {
    for (let i = 0; i < 300; i++) {
      const r = await fetch('/v1/jobs/' + j.id, { headers: headers() });
      const job = await r.json();
      if (job.status === 'succeeded') { $('drafts').querySelector('[data-job="' + j.id + '"] img').src = job.result.image_url; return; }
      if (TERMINAL.includes(job.status)) return;
      await new Promise((done) => setTimeout(done, 200));
    }
  }));
});
gallery();
`;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small icon inline: no request for /favicon.ico. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%231d1d1f'/%3E%3Ccircle cx='8' cy='8' r='4' fill='%23e4473c'/%3E%3C/svg%3E";

/**
 * The page. `localKey`: the local stack's own key, filled in for the user (only the local
 * stack passes it, and it serves loopback only); elsewhere the page says where a key comes from.
 */
export function playgroundHtml(m: Manifest, sizes: number[], localKey?: string, vocabulary?: string): string {
  const sizeOptions = sizes
    .map((s) => `<option value="${s}"${s === 128 ? ' selected' : ''}>${s} × ${s}</option>`)
    .join('');
  const variantOptions = Object.keys(m.variants)
    .map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Baton playground · ${esc(m.id)}</title>
<link rel="icon" href="${FAVICON}">
<style>${STYLE}</style>
</head>
<body data-local-key="${esc(localKey ?? '')}">
<main>
  <h1>Baton playground <small>· ${esc(m.id)}</small></h1>
  <form id="form">
    <label class="wide">Prompt <input id="prompt" name="prompt" required maxlength="${m.limits?.max_prompt_chars ?? 1000}" placeholder="a big red circle top left on white"></label>
    <label>Seed <input id="seed" name="seed" type="number" min="0" max="4294967295" placeholder="random"></label>
    <label>Size <select id="size" name="size">${sizeOptions}</select></label>
    <label>Variant <select id="variant" name="variant">${variantOptions}</select></label>
    ${vocabulary ? `<details id="vocab" class="wide"><summary>What prompts can say</summary><pre>${esc(vocabulary)}</pre></details>` : ''}
    <button id="go-drafts" type="button" title="Four 64 px drafts; click one to finish it at the chosen size">4 drafts</button>
    <button id="go" type="submit">Generate</button>
    <label class="wide">API key <input id="key" name="key" type="password" autocomplete="off" placeholder="bk_…">
      <span id="key-hint">${localKey ? 'filled in from this local stack' : 'from <code>npx baton keys create</code>; the local stack’s is in <code>.baton/local-key</code>'}</span></label>
  </form>
  <section id="run" hidden>
    <div><img id="result" alt=""><div id="meta"><span id="seed-used"></span><a id="download" hidden>Download</a></div><div id="caption"></div><ul id="warnings"></ul></div>
    <div><div id="status"></div><div id="stages"></div><div id="previews"></div><div id="error"></div></div>
  </section>
  <div id="drafts"></div>
  <h2 style="font-size:16px">Recent</h2>
  <div id="gallery"></div>
</main>
<script type="module">${SCRIPT}</script>
</body>
</html>`;
}
