/**
 * The review page: one self-contained HTML document (no build step, no external assets) that
 * talks to the review server's JSON API. Keyboard: a accept, r reject, e edit, Ctrl+Enter save
 * the edit, Esc cancel it, j / → next, k / ← previous.
 */
export const REVIEW_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Expert-AD review</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
  header { display: flex; gap: 16px; align-items: center; padding: 10px 20px; background: #1d232a; color: #fff; }
  header h1 { font-size: 16px; margin: 0; }
  #progress { margin-left: auto; }
  main { padding: 16px 20px; max-width: 1200px; }
  .images { display: flex; gap: 16px; }
  figure { margin: 0; background: #fff; padding: 8px; border: 1px solid #dde1e6; }
  figure img { width: 300px; height: 300px; object-fit: contain; image-rendering: pixelated; background: #000; display: block; }
  figcaption { font-size: 12px; color: #5c6670; margin-top: 4px; }
  .meta { margin: 12px 0; display: flex; gap: 24px; flex-wrap: wrap; }
  .status { font-weight: 600; padding: 2px 8px; border-radius: 10px; background: #e6e9ed; }
  .status.accepted { background: #d4f2dc; } .status.rejected { background: #f8d7d7; } .status.edited { background: #fff1c2; }
  label { display: block; font-size: 12px; color: #5c6670; margin-top: 8px; }
  textarea, input[type=text] { width: 100%; box-sizing: border-box; font: inherit; padding: 6px; border: 1px solid #c3c9d0; }
  textarea { height: 120px; }
  textarea:disabled, input:disabled { background: #eef0f3; color: #1d232a; }
  .description { background: #fff; border: 1px solid #dde1e6; padding: 8px; color: #3d4650; }
  .actions { margin-top: 12px; display: flex; gap: 8px; }
  button { font: inherit; padding: 6px 12px; cursor: pointer; }
  kbd { font-size: 11px; border: 1px solid #aaa; border-radius: 3px; padding: 0 3px; }
  #empty { display: none; padding: 40px; }
</style>
</head>
<body>
<header>
  <h1>Expert-AD review</h1>
  <label style="color:#fff;margin:0">Show
    <select id="filter">
      <option value="all">all</option><option value="pending">pending</option><option value="accepted">accepted</option>
      <option value="edited">edited</option><option value="rejected">rejected</option>
    </select>
  </label>
  <span id="position"></span>
  <span id="progress"></span>
  <button id="finish" type="button">Finish &amp; integrate</button>
</header>
<main>
  <div id="empty">Nothing to review with this filter.</div>
  <div id="record">
    <div class="images">
      <figure><img id="img-reference" alt="reference"><figcaption>Reference (normal)</figcaption></figure>
      <figure><img id="img-query" alt="query"><figcaption>Query</figcaption></figure>
      <figure><img id="img-overlay" alt="query with the defect outlined"><figcaption id="overlay-caption">Mask overlay</figcaption></figure>
    </div>
    <div class="meta">
      <span>id <b id="id"></b></span><span>category <b id="category"></b></span><span>label <b id="label"></b></span>
      <span>coarse type <b id="coarse-type"></b></span><span>status <span id="status" class="status"></span></span>
    </div>
    <label>Description (describe step)</label>
    <div class="description" id="description"></div>
    <label for="think">Think</label>
    <textarea id="think" disabled></textarea>
    <div id="anomalous-fields">
      <label for="location">Location</label><input type="text" id="location" disabled>
      <label for="fine-type">Type (fine-grained)</label><input type="text" id="fine-type" disabled>
    </div>
    <div class="actions">
      <button id="accept" type="button">Accept <kbd>a</kbd></button>
      <button id="reject" type="button">Reject <kbd>r</kbd></button>
      <button id="edit" type="button">Edit <kbd>e</kbd></button>
      <button id="save" type="button" hidden>Save edit <kbd>Ctrl+Enter</kbd></button>
      <button id="prev" type="button">Previous <kbd>k</kbd></button>
      <button id="next" type="button">Next <kbd>j</kbd></button>
    </div>
    <p id="message" role="status"></p>
  </div>
</main>
<script>
const $ = (id) => document.getElementById(id);
let items = [];
let index = 0;
let editing = false;
let current = null;

const TOKEN = '__REVIEW_TOKEN__';
async function api(path, body) {
  const headers = { 'x-review-token': TOKEN };
  const response = await fetch(path, body ? { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) } : { headers });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function showCounts(counts) {
  const reviewed = counts.accepted + counts.edited + counts.rejected;
  $('progress').textContent = 'Reviewed ' + reviewed + ' / ' + counts.total + ' (accepted ' + counts.accepted + ', edited ' + counts.edited + ', rejected ' + counts.rejected + ')';
}

async function loadList(keepId) {
  const state = await api('/api/items?status=' + encodeURIComponent($('filter').value));
  items = state.items;
  showCounts(state.counts);
  const at = keepId ? items.findIndex((item) => item.id === keepId) : -1;
  index = at >= 0 ? at : Math.min(index, Math.max(0, items.length - 1));
  await show();
}

function setEditing(on) {
  editing = on;
  for (const id of ['think', 'location', 'fine-type']) $(id).disabled = !on;
  $('save').hidden = !on;
  if (on) $('think').focus();
}

async function show() {
  setEditing(false);
  $('empty').style.display = items.length ? 'none' : 'block';
  $('record').style.display = items.length ? 'block' : 'none';
  $('position').textContent = items.length ? (index + 1) + ' of ' + items.length : '';
  if (!items.length) return;
  const id = items[index].id;
  current = await api('/api/item?id=' + encodeURIComponent(id));
  const q = encodeURIComponent(id);
  $('img-reference').src = '/api/image?which=reference&token=' + TOKEN + '&id=' + q;
  $('img-query').src = '/api/image?which=query&token=' + TOKEN + '&id=' + q;
  $('img-overlay').src = '/api/image?which=overlay&token=' + TOKEN + '&id=' + q;
  $('overlay-caption').textContent = current.pair.label === 'anomalous' ? 'Mask overlay' : 'Query (normal: no mask)';
  $('id').textContent = id;
  $('category').textContent = current.pair.category;
  $('label').textContent = current.pair.label;
  $('coarse-type').textContent = current.pair.coarseType || '—';
  $('status').textContent = current.status;
  $('status').className = 'status ' + current.status;
  $('description').textContent = current.description;
  $('think').value = current.think;
  $('location').value = current.location || '';
  $('fine-type').value = current.fineType || '';
  $('anomalous-fields').style.display = current.pair.label === 'anomalous' ? 'block' : 'none';
  $('message').textContent = '';
}

async function decide(status) {
  if (!items.length) return;
  const body = { id: items[index].id, status };
  if (status === 'edited') {
    body.think = $('think').value;
    if (current.pair.label === 'anomalous') { body.location = $('location').value; body.fineType = $('fine-type').value; }
  }
  try {
    const result = await api('/api/decision', body);
    showCounts(result.counts);
    items[index].status = status;
    $('message').textContent = 'Saved: ' + status;
    if (index < items.length - 1) index++;
    await loadList(items[index].id);
  } catch (error) {
    $('message').textContent = 'Not saved: ' + error.message;
  }
}

function move(step) {
  if (!items.length) return;
  index = Math.max(0, Math.min(items.length - 1, index + step));
  show();
}

$('accept').onclick = () => decide('accepted');
$('reject').onclick = () => decide('rejected');
$('edit').onclick = () => setEditing(true);
$('save').onclick = () => decide('edited');
$('next').onclick = () => move(1);
$('prev').onclick = () => move(-1);
$('filter').onchange = () => { index = 0; loadList(); };
$('finish').onclick = async () => { await api('/api/finish', {}); $('message').textContent = 'Finished: integration runs in the terminal; you can close this page.'; };
document.addEventListener('keydown', (event) => {
  if (editing) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); decide('edited'); }
    if (event.key === 'Escape') show();
    return;
  }
  if (event.target instanceof HTMLSelectElement || event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = { a: () => decide('accepted'), r: () => decide('rejected'), e: () => setEditing(true), j: () => move(1), ArrowRight: () => move(1), k: () => move(-1), ArrowLeft: () => move(-1) };
  const action = actions[event.key];
  if (action) { event.preventDefault(); action(); }
});
loadList();
</script>
</body>
</html>
`;
