// athena-wlm console: reads the product's API and /console/api/*, draws with the DOM and inline SVG.
// Every value from the server reaches the page through textContent or an attribute, never as markup.

const REFRESH_MS = 2000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const RESULT_ROWS = 20;

const state = {
  paused: false,
  timer: undefined,
  inFlight: false,
  selectedQuery: undefined,
  selectedExecution: undefined,
  /** The execution the user picked, not one that follows the open query. */
  executionPinned: false,
  graph: undefined,
  classes: [],
  defaultClass: undefined,
  results: new Map(),
  rendered: new Map(),
};

// ---------- DOM helpers ----------

/** An element with attributes and children; strings become text nodes. */
function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') listen(el, key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const $ = (id) => document.getElementById(id);

/**
 * Listeners go through the element's `handlers`, so that patching an element in place (below) can give
 * it the new element's handlers.
 */
function listen(el, type, handler) {
  el.handlers = { ...el.handlers, [type]: handler };
  el.addEventListener(type, dispatchToHandler);
}

function dispatchToHandler(event) {
  return this.handlers?.[event.type]?.call(this, event);
}

/** A child's identity across renders: rows and controls carry one. */
function keyOf(node) {
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  return node.getAttribute('data-key') ?? node.getAttribute('data-query-id');
}

/** Makes `from` look like `to` in place and returns the node now in the document. */
function patch(from, to) {
  if (from.nodeType !== to.nodeType || from.nodeName !== to.nodeName || keyOf(from) !== keyOf(to)) {
    from.replaceWith(to);
    return to;
  }
  if (from.nodeType === Node.TEXT_NODE) {
    if (from.data !== to.data) from.data = to.data;
    return from;
  }
  if (from.nodeType !== Node.ELEMENT_NODE) {
    from.replaceWith(to);
    return to;
  }
  for (const { name } of [...from.attributes]) if (!to.hasAttribute(name)) from.removeAttribute(name);
  for (const { name, value } of [...to.attributes]) {
    if (from.getAttribute(name) !== value) from.setAttribute(name, value);
  }
  from.handlers = to.handlers;
  for (const type of Object.keys(to.handlers ?? {})) from.addEventListener(type, dispatchToHandler);
  patchChildren(from, [...to.childNodes]);
  return from;
}

/** Patches children in order, matching keyed ones by key wherever they were and the rest by place. */
function patchChildren(parent, next) {
  const keyed = new Map();
  for (const child of parent.childNodes) if (keyOf(child)) keyed.set(keyOf(child), child);
  next.forEach((node, i) => {
    const at = parent.childNodes[i];
    const key = keyOf(node);
    const match = key ? keyed.get(key) : at && !keyOf(at) ? at : undefined;
    const placed = match ? patch(match, node) : node;
    if (parent.childNodes[i] !== placed) parent.insertBefore(placed, parent.childNodes[i] ?? null);
  });
  while (parent.childNodes.length > next.length) parent.lastChild.remove();
}

/**
 * Updates a container only when its data changed, in place: rows and controls that stay keep their
 * elements (a click or the keyboard's focus is never lost to an auto-refresh), only what changed is
 * touched.
 */
function render(container, key, data, draw) {
  const json = JSON.stringify(data);
  if (state.rendered.get(key) === json) return;
  state.rendered.set(key, json);
  patchChildren(container, [draw(data)].flat().filter(Boolean));
}

// ---------- formatting ----------

function formatBytes(bytes) {
  if (bytes === undefined || bytes === null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatDuration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function timeEl(iso, withDate = false) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const text = withDate
    ? date.toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' })
    : date.toLocaleTimeString([], { hour12: false });
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, text);
}

function badge(status) {
  const known = String(status ?? 'UNKNOWN');
  return h('span', { class: `badge status-${known.toLowerCase().replace(/[^a-z_]/g, '')}` }, known);
}

function truncate(text, max) {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Only links to this server or to http(s) may become an href. */
function safeHref(url) {
  if (typeof url !== 'string') return undefined;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, init = {}) {
  const headers = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { ...init, headers });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { message: text };
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// ---------- selection (kept in the URL hash so a reload or a shared link keeps it) ----------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.selectedQuery = params.get('query') || undefined;
  state.selectedExecution = params.get('execution') || undefined;
  state.executionPinned = Boolean(state.selectedExecution);
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.selectedQuery) params.set('query', state.selectedQuery);
  if (state.selectedExecution && state.executionPinned) params.set('execution', state.selectedExecution);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
}

function selectQuery(queryId, { focus = false } = {}) {
  state.selectedQuery = queryId;
  state.executionPinned = false;
  state.rendered.delete('query-detail');
  writeHash();
  $('query-detail').hidden = !queryId;
  refresh().then(() => {
    if (focus && queryId) $('query-detail').focus();
  });
}

function selectExecution(executionArn, { focus = false, pinned = true } = {}) {
  state.selectedExecution = executionArn;
  state.executionPinned = pinned;
  state.rendered.delete('execution-detail');
  writeHash();
  refresh().then(() => {
    if (focus) $('execution-detail').focus();
  });
}

// ---------- header: account quota ----------

function drawQuota(q) {
  const quota = q.quota;
  const active = q.activeQueries ?? 0;
  const capacity = q.capacity;
  const text =
    quota === undefined
      ? `${active} active ${active === 1 ? 'query' : 'queries'}; the account quota is not known.`
      : `${active} of ${quota} active queries` +
        (capacity !== undefined
          ? ` · athena-wlm capacity ${capacity} (quota ${quota} − headroom ${q.headroom ?? 0})`
          : '');
  $('quota-text').textContent = text;
  if (quota === undefined || quota <= 0) return [];
  const width = 300;
  const x = (n) => Math.max(0, Math.min(width, (n / quota) * width));
  const level = active >= quota ? 'bad' : capacity !== undefined && active > capacity ? 'warn' : 'ok';
  return svg(
    'svg',
    { viewBox: `0 0 ${width} 18`, role: 'img', 'aria-label': text, preserveAspectRatio: 'none' },
    svg('rect', { class: 'gauge-track', x: 0, y: 2, width, height: 14, rx: 3 }),
    capacity !== undefined
      ? svg('rect', { class: 'gauge-capacity', x: 0, y: 2, width: x(capacity), height: 14, rx: 3 })
      : null,
    svg('rect', { class: `gauge-fill ${level}`, x: 0, y: 2, width: x(active), height: 14, rx: 3 }),
    capacity !== undefined
      ? svg('line', { class: 'gauge-marker', x1: x(capacity), x2: x(capacity), y1: 0, y2: 18 })
      : null,
  );
}

// ---------- workload classes ----------

function slotBar(c) {
  const scale = Math.max(c.maxSlots, c.slotsInUse, 1);
  const width = 160;
  const x = (n) => (n / scale) * width;
  const over = c.slotsInUse > c.guaranteedSlots;
  const label = `${c.slotsInUse} in use, ${c.guaranteedSlots} guaranteed, ${c.maxSlots} max`;
  return svg(
    'svg',
    { class: 'slot-bar', viewBox: `0 0 ${width} 14`, role: 'img', 'aria-label': label },
    svg('rect', { class: 'bar-track', x: 0, y: 1, width, height: 12, rx: 2 }),
    svg('rect', { class: 'bar-guaranteed', x: 0, y: 1, width: x(c.guaranteedSlots), height: 12, rx: 2 }),
    svg('rect', {
      class: `bar-fill${over ? ' borrowed' : ''}`,
      x: 0,
      y: 3,
      width: x(c.slotsInUse),
      height: 8,
      rx: 2,
    }),
    svg('line', {
      class: 'bar-marker',
      x1: x(c.guaranteedSlots),
      x2: x(c.guaranteedSlots),
      y1: 0,
      y2: 14,
    }),
  );
}

function count(n) {
  return h('td', { class: `num${n > 0 ? ' nonzero' : ''}` }, String(n ?? 0));
}

function drawClasses(wg) {
  return wg.classes.map((c) =>
    h(
      'tr',
      {},
      h(
        'th',
        { scope: 'row' },
        h('span', { class: 'class-name' }, c.name),
        c.description
          ? h('span', { class: 'muted small block', title: c.description }, truncate(c.description, 64))
          : null,
      ),
      h(
        'td',
        { class: 'slots' },
        slotBar(c),
        h('span', { class: 'slot-text' }, `${c.slotsInUse} / ${c.guaranteedSlots} / ${c.maxSlots}`),
      ),
      count(c.queued),
      count(c.waitingForSlot),
      count(c.deferred),
    ),
  );
}

function fillClassSelects(wg) {
  const names = wg.classes.map((c) => c.name);
  if (JSON.stringify(names) === JSON.stringify(state.classes)) return;
  state.classes = names;
  state.defaultClass = wg.defaultClass;
  const submit = $('submit-class');
  const chosen = submit.value || wg.defaultClass;
  submit.replaceChildren(
    ...names.map((name) =>
      h('option', { value: name }, name === wg.defaultClass ? `${name} (default)` : name),
    ),
  );
  submit.value = names.includes(chosen) ? chosen : names[0];
  const filter = $('filter-class');
  const current = filter.value;
  filter.replaceChildren(
    h('option', { value: '' }, 'All classes'),
    ...names.map((name) => h('option', { value: name }, name)),
  );
  filter.value = names.includes(current) ? current : '';
}

// ---------- queries ----------

function attemptsText(q) {
  const redrives = q.redrives ?? 0;
  return `${q.attempts ?? 0}${redrives > 0 ? ` (${redrives} redrive${redrives === 1 ? '' : 's'})` : ''}`;
}

function drawQueries(page) {
  if (page.items.length === 0) {
    return h(
      'tr',
      {},
      h('td', { colspan: 8, class: 'empty' }, 'No queries match. Submit one with the form above.'),
    );
  }
  return page.items.map((q) => {
    const selected = q.queryId === state.selectedQuery;
    return h(
      'tr',
      {
        class: `clickable${selected ? ' selected' : ''}`,
        'data-query-id': q.queryId,
        onclick: (event) => {
          if (event.target.closest('button')) return;
          selectQuery(q.queryId, { focus: true });
        },
      },
      h(
        'td',
        { class: 'query-cell' },
        h(
          'button',
          {
            type: 'button',
            class: 'link mono',
            'data-key': `query:${q.queryId}`,
            'aria-current': selected ? 'true' : undefined,
            onclick: () => selectQuery(q.queryId, { focus: true }),
          },
          q.queryId,
        ),
        h('span', { class: 'muted small block sql-snippet', title: q.query }, truncate(q.query, 70)),
      ),
      h('td', {}, badge(q.status)),
      h('td', {}, q.className),
      h('td', { class: 'num' }, attemptsText(q)),
      h('td', { class: 'num' }, formatDuration(q.queueWaitMs)),
      h('td', { class: 'num' }, formatBytes(q.dataScannedBytes)),
      h('td', {}, timeEl(q.submittedAt)),
      h('td', { class: 'reason', title: q.reason ?? '' }, truncate(q.reason ?? q.error?.message ?? '', 90)),
    );
  });
}

// ---------- one query ----------

function field(label, value) {
  return [
    h('dt', {}, label),
    h('dd', {}, value === undefined || value === null || value === '' ? '—' : value),
  ];
}

async function cancelQuery(queryId) {
  const status = $('query-status');
  status.textContent = `Cancelling ${queryId}…`;
  try {
    const answer = await api(`/queries/${encodeURIComponent(queryId)}`, { method: 'DELETE' });
    status.textContent = `Cancelled (was ${answer.previousStatus ?? 'running'}).${answer.note ? ` ${answer.note}` : ''}`;
  } catch (error) {
    status.textContent = `Could not cancel: ${error.message}`;
  }
  state.rendered.delete('query-detail');
  await refresh();
}

function drawResults(queryId, results) {
  if (!results) return h('p', { class: 'muted' }, 'Loading results…');
  if (results.error) return h('p', { class: 'error-text' }, results.error);
  const rows = results.page.rows;
  const link = `/queries/${encodeURIComponent(queryId)}/results?maxResults=1000`;
  const download = safeHref(results.page.downloadUrl);
  return [
    h(
      'p',
      { class: 'muted' },
      `First ${rows.length} row${rows.length === 1 ? '' : 's'}${results.page.nextToken ? ' (more available)' : ''}. `,
      h('a', { href: link }, 'Results as JSON'),
      download ? [' · ', h('a', { href: download }, 'Download CSV')] : null,
    ),
    h(
      'div',
      { class: 'table-wrap scroll' },
      h(
        'table',
        { class: 'results', 'aria-label': `Results of query ${queryId}` },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            results.page.columns.map((c) => h('th', { scope: 'col', title: c.type }, c.name)),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((row) =>
            h(
              'tr',
              {},
              row.map((cell) =>
                h('td', { class: cell === null ? 'muted' : '' }, cell === null ? 'NULL' : cell),
              ),
            ),
          ),
        ),
      ),
    ),
  ];
}

function drawQueryDetail(data) {
  const { queryId, record, missing, results } = data;
  const close = h(
    'button',
    {
      type: 'button',
      'data-key': 'close-query',
      onclick: () => {
        selectQuery(undefined);
        document.querySelector(`[data-key="query:${CSS.escape(queryId)}"]`)?.focus();
      },
    },
    'Close',
  );
  const head = (...title) =>
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: 'query-detail-title' }, ...title),
      h(
        'div',
        { class: 'actions' },
        record && !record.finished
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger',
                'data-key': 'cancel-query',
                onclick: () => cancelQuery(record.queryId),
              },
              'Cancel query',
            )
          : null,
        close,
      ),
    );
  if (missing) return [head(`Query ${queryId}`), h('p', { class: 'muted' }, missing)];
  return [
    head(`Query ${record.queryId} `, badge(record.status)),
    h(
      'div',
      { class: 'detail-grid' },
      h(
        'div',
        {},
        record.reason && record.reason !== record.error?.message
          ? h('div', { class: 'note', role: 'note' }, h('strong', {}, 'Reason: '), record.reason)
          : null,
        record.error
          ? h(
              'div',
              { class: 'note error' },
              h('strong', {}, `Error ${record.error.code ?? ''}: `),
              record.error.message ?? '',
            )
          : null,
        h(
          'dl',
          { class: 'fields' },
          field('Class', record.className),
          field('Athena workgroup', record.athenaWorkGroup),
          field('Submitted', timeEl(record.submittedAt, true)),
          field('Started', timeEl(record.startedAt, true)),
          field('Finished', timeEl(record.finishedAt, true)),
          field('Queue wait', formatDuration(record.queueWaitMs)),
          field('Engine time', formatDuration(record.engineTimeMs)),
          field('Elapsed', formatDuration(record.elapsedMs)),
          field('Attempts', attemptsText(record)),
          field('Data scanned', formatBytes(record.dataScannedBytes)),
          field(
            'Athena query id',
            record.athenaQueryExecutionId
              ? h('span', { class: 'mono' }, record.athenaQueryExecutionId)
              : undefined,
          ),
          field(
            'Output location',
            record.outputLocation ? h('span', { class: 'mono' }, record.outputLocation) : undefined,
          ),
          field(
            'Submitted by',
            record.userId ? `${record.submittedBy ?? ''} (user ${record.userId})` : record.submittedBy,
          ),
          field(
            'Execution',
            record.executionArn
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'link mono',
                    'data-key': 'open-execution',
                    onclick: () => selectExecution(record.executionArn, { focus: true, pinned: false }),
                  },
                  record.executionArn.split(':').pop(),
                )
              : 'not started yet',
          ),
        ),
        h('h3', {}, 'SQL'),
        h('pre', { class: 'sql' }, record.query),
      ),
      h(
        'div',
        { class: 'results-block' },
        h('h3', {}, 'Results'),
        record.status === 'SUCCEEDED'
          ? drawResults(record.queryId, results)
          : h(
              'p',
              { class: 'muted' },
              TERMINAL.has(record.status)
                ? `This query ended ${record.status}; it has no results.`
                : 'Results appear here when the query has SUCCEEDED.',
            ),
      ),
    ),
  ];
}

async function loadQueryDetail() {
  const queryId = state.selectedQuery;
  const section = $('query-detail');
  section.hidden = !queryId;
  if (!queryId) return;
  let record;
  try {
    record = await api(`/queries/${encodeURIComponent(queryId)}`);
  } catch (error) {
    if (error.status === 404) {
      render($('query-body'), 'query-detail', { queryId, missing: error.message }, drawQueryDetail);
      return;
    }
    throw error;
  }
  if (queryId !== state.selectedQuery) return;
  if (record.status === 'SUCCEEDED' && !state.results.has(queryId)) {
    try {
      const page = await api(`/queries/${encodeURIComponent(queryId)}/results?maxResults=${RESULT_ROWS}`);
      state.results.set(queryId, { page });
    } catch (error) {
      state.results.set(queryId, { error: `Could not read the results: ${error.message}` });
    }
  }
  // The execution panel follows the open query unless the user picked another execution.
  if (record.executionArn && !state.executionPinned && state.selectedExecution !== record.executionArn) {
    state.selectedExecution = record.executionArn;
    state.rendered.delete('execution-detail');
  }
  render(
    $('query-body'),
    'query-detail',
    { queryId, record, results: state.results.get(queryId) },
    drawQueryDetail,
  );
}

// ---------- executions ----------

function drawExecutions(list) {
  if (list.items.length === 0) {
    return h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No executions yet.'));
  }
  return list.items.map((e) => {
    const selected = e.executionArn === state.selectedExecution;
    return h(
      'tr',
      {
        class: `clickable${selected ? ' selected' : ''}`,
        onclick: (event) => {
          if (event.target.closest('button')) return;
          selectExecution(e.executionArn, { focus: true });
        },
      },
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'link mono',
            'data-key': `execution:${e.executionArn}`,
            'aria-current': selected ? 'true' : undefined,
            onclick: () => selectExecution(e.executionArn, { focus: true }),
          },
          e.name,
        ),
      ),
      h('td', {}, badge(e.status)),
      h('td', {}, e.className ?? '—'),
      h('td', { class: 'num' }, String(e.attempt)),
      h('td', {}, timeEl(e.startDate)),
      h('td', { class: 'num' }, formatDuration(e.durationMs)),
    );
  });
}

// ---------- one execution: path and event history ----------

const NODE_W = 156;
const NODE_H = 30;
const GAP_X = 16;
const GAP_Y = 26;

/** Positions of the states: rows by layer, each row ordered by where its predecessors sit. */
function layout(graph) {
  const rows = [];
  for (const s of graph.states) {
    rows[s.layer] ??= [];
    rows[s.layer].push(s);
  }
  const preds = new Map();
  for (const s of graph.states) {
    for (const t of s.transitions) {
      if (!preds.has(t.to)) preds.set(t.to, []);
      preds.get(t.to).push(s.name);
    }
  }
  const order = new Map();
  rows.forEach((row, layer) => {
    if (layer > 0) {
      const at = (s) => {
        const p = (preds.get(s.name) ?? []).map((n) => order.get(n)).filter((v) => v !== undefined);
        return p.length ? p.reduce((a, b) => a + b, 0) / p.length : 0;
      };
      row.sort((a, b) => at(a) - at(b));
    }
    row.forEach((s, i) => {
      order.set(s.name, (i + 0.5) / row.length);
    });
  });
  const widest = Math.max(...rows.map((r) => r.length));
  const width = widest * (NODE_W + GAP_X) + GAP_X;
  const pos = new Map();
  rows.forEach((row, layer) => {
    const rowWidth = row.length * (NODE_W + GAP_X) - GAP_X;
    const start = (width - rowWidth) / 2;
    row.forEach((s, i) => {
      pos.set(s.name, { x: start + i * (NODE_W + GAP_X), y: GAP_Y / 2 + layer * (NODE_H + GAP_Y) });
    });
  });
  return { pos, width, height: rows.length * (NODE_H + GAP_Y) };
}

function drawPathGraph(graph, path, status) {
  const { pos, width, height } = layout(graph);
  const visited = new Map();
  for (const step of path.steps) {
    const seen = visited.get(step.state) ?? { retries: 0, statuses: [] };
    seen.retries += step.retries;
    seen.statuses.push(step.status);
    visited.set(step.state, seen);
  }
  const taken = new Set();
  for (let i = 1; i < path.steps.length; i++) taken.add(`${path.steps[i - 1].state}->${path.steps[i].state}`);
  const last = path.steps.at(-1)?.state;
  const ended = status !== 'RUNNING';

  const edges = [];
  for (const s of graph.states) {
    const from = pos.get(s.name);
    for (const t of s.transitions) {
      const to = pos.get(t.to);
      if (!from || !to) continue;
      const x1 = from.x + NODE_W / 2;
      const y1 = from.y + NODE_H;
      const x2 = to.x + NODE_W / 2;
      const y2 = to.y;
      const bend = Math.max(14, (y2 - y1) / 2);
      const isTaken = taken.has(`${s.name}->${t.to}`);
      edges.push(
        svg('path', {
          class: `edge ${t.kind}${isTaken ? ' taken' : ''}`,
          d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2 - 4}`,
          'marker-end': isTaken ? 'url(#arrow-taken)' : 'url(#arrow)',
        }),
      );
    }
  }
  // Taken edges last, so they are drawn over the others.
  edges.sort((a, b) => a.classList.contains('taken') - b.classList.contains('taken'));

  const nodes = graph.states.map((s) => {
    const p = pos.get(s.name);
    const seen = visited.get(s.name);
    let cls = 'node';
    let label = `${s.name}: not entered`;
    if (seen) {
      cls += ' visited';
      label = `${s.name}: ${seen.statuses.join(', ')}`;
      if (seen.statuses.includes('caught')) cls += ' caught';
      if (s.name === last) {
        if (!ended) cls += ' current';
        else if (status === 'SUCCEEDED') cls += ' end-succeeded';
        else cls += ' end-failed';
      }
    }
    if (s.terminal) cls += ' terminal';
    const retries = seen?.retries ?? 0;
    return svg(
      'g',
      { class: cls, 'data-state': s.name, transform: `translate(${p.x},${p.y})` },
      svg('title', {}, seen && retries ? `${label}; retried ${retries} times` : label),
      svg('rect', { width: NODE_W, height: NODE_H, rx: s.type === 'Choice' ? 14 : 5 }),
      svg('text', { x: NODE_W / 2, y: NODE_H / 2 + 4, 'text-anchor': 'middle' }, s.name),
      retries > 0
        ? svg(
            'g',
            { class: 'retry-badge', transform: `translate(${NODE_W - 30},-8)` },
            svg('rect', { width: 38, height: 16, rx: 8 }),
            svg('text', { x: 19, y: 12, 'text-anchor': 'middle' }, `↻ ${retries}`),
          )
        : null,
    );
  });

  const arrow = (id) =>
    svg(
      'marker',
      { id, viewBox: '0 0 8 8', refX: 4, refY: 4, markerWidth: 6, markerHeight: 6, orient: 'auto' },
      svg('path', { d: 'M0,0 L8,4 L0,8 z' }),
    );
  return svg(
    'svg',
    {
      class: 'path-graph',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': `run-query states; this execution went ${path.steps.map((s) => s.state).join(', ')}`,
    },
    svg('defs', {}, arrow('arrow'), arrow('arrow-taken')),
    svg('g', {}, edges),
    svg('g', {}, nodes),
  );
}

function stepText(step) {
  const parts = [step.status];
  if (step.retries > 0) {
    const byError = new Map();
    for (const e of step.retriedErrors) byError.set(e, (byError.get(e) ?? 0) + 1);
    parts.push(
      `${step.retries} ${step.retries === 1 ? 'retry' : 'retries'} (${[...byError].map(([e, n]) => `${e} ×${n}`).join(', ')})`,
    );
  }
  if (step.status === 'caught') parts.push(`${step.error ?? 'error'} caught → ${step.caughtTo ?? '?'}`);
  else if (step.error) parts.push(step.error);
  return parts.join(' · ');
}

function drawExecutionDetail(data) {
  const { execution: e, events, path } = data;
  $('execution-title').replaceChildren(`Execution ${e.name} `, badge(e.status));
  const pair = (label, value) => h('div', {}, field(label, value));
  const summary = h(
    'dl',
    { class: 'summary' },
    pair('Query', h('span', { class: 'mono' }, e.queryId)),
    pair('Class', e.className),
    pair('Attempt', String(e.attempt)),
    pair('Started', timeEl(e.startDate, true)),
    pair('Stopped', timeEl(e.stopDate, true)),
    pair('Duration', formatDuration(e.durationMs)),
    pair('Retries', String(path.totalRetries)),
    path.restarts ? pair('Restarts', String(path.restarts)) : null,
  );
  const failure =
    path.error || e.error
      ? h(
          'div',
          { class: 'note error' },
          h('strong', {}, `${path.error ?? e.error}: `),
          truncate(path.cause ?? e.cause ?? '', 600),
        )
      : null;
  const steps = h(
    'ol',
    { class: 'steps' },
    path.steps.map((step) =>
      h(
        'li',
        { class: `step step-${step.status}` },
        h('span', { class: 'step-name' }, step.state),
        ' ',
        h('span', { class: 'muted small' }, stepText(step)),
      ),
    ),
  );
  const history = h(
    'div',
    { class: 'table-wrap scroll tall' },
    h(
      'table',
      { id: 'history-table', class: 'history', 'aria-label': `Event history of ${e.name}` },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', class: 'num' }, 'ID'),
          h('th', { scope: 'col' }, 'Type'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col' }, 'Time'),
          h('th', { scope: 'col', class: 'num' }, 'Elapsed'),
          h('th', { scope: 'col' }, 'Details'),
        ),
      ),
      h(
        'tbody',
        {},
        events.map((ev) =>
          h(
            'tr',
            { class: `event event-${ev.type}`, 'data-event-type': ev.type },
            h('td', { class: 'num' }, String(ev.id)),
            h('td', {}, ev.type),
            h('td', {}, ev.state ?? ''),
            h('td', {}, timeEl(ev.timestamp)),
            h('td', { class: 'num' }, `${ev.elapsedMs} ms`),
            h(
              'td',
              { class: 'event-detail' },
              [ev.detail, ev.error].filter(Boolean).join(' · '),
              ev.cause ? h('details', {}, h('summary', {}, 'Cause'), h('pre', {}, ev.cause)) : null,
            ),
          ),
        ),
      ),
    ),
  );
  return [
    summary,
    failure,
    h(
      'div',
      { class: 'path-block' },
      h(
        'div',
        { class: 'path-graph-wrap' },
        h('h3', { id: 'path-title' }, 'Path'),
        h(
          'p',
          { class: 'legend muted small' },
          h('span', { class: 'key key-visited' }, 'entered'),
          h('span', { class: 'key key-succeeded' }, 'ended, succeeded'),
          h('span', { class: 'key key-failed' }, 'ended, failed'),
          h('span', { class: 'key key-caught' }, 'error caught'),
          h('span', { class: 'key key-retry' }, '↻ retries'),
          h('span', {}, 'dashed line: a Catch'),
        ),
        state.graph
          ? drawPathGraph(state.graph, path, e.status)
          : h('p', { class: 'muted' }, 'Loading the state machine…'),
      ),
      h('div', { class: 'path-steps' }, h('h3', {}, 'States entered, in order'), steps),
    ),
    h('h3', {}, 'Event history'),
    history,
  ];
}

async function loadExecutionDetail() {
  const arn = state.selectedExecution;
  if (!arn) return;
  const cached = state.rendered.get('execution-detail');
  if (
    cached &&
    JSON.parse(cached).execution?.status !== 'RUNNING' &&
    JSON.parse(cached).execution?.executionArn === arn
  ) {
    return;
  }
  try {
    const detail = await api(`/console/api/executions/${encodeURIComponent(arn)}`);
    if (arn !== state.selectedExecution) return;
    render($('execution-body'), 'execution-detail', detail, drawExecutionDetail);
  } catch (error) {
    if (error.status !== 404) throw error;
    render($('execution-body'), 'execution-detail', { missing: error.message }, (d) => {
      $('execution-title').textContent = 'Execution';
      return h('p', { class: 'muted' }, d.missing);
    });
  }
}

// ---------- metrics ----------

function drawChart(metric, minutes) {
  const width = 320;
  const height = 120;
  const left = 28;
  const bottom = 18;
  const top = 8;
  const points = metric.points;
  const max = Math.max(1, ...points.map((p) => p.value));
  const plotW = width - left - 6;
  const plotH = height - top - bottom;
  const step = plotW / Math.max(1, points.length);
  const y = (v) => top + plotH - (v / max) * plotH;
  const time = (iso) =>
    new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  const label = `${metric.name}: ${metric.total} in the last ${minutes} minutes, at most ${Math.max(0, ...points.map((p) => p.value))} per minute`;
  return h(
    'figure',
    { class: 'chart', 'data-metric': metric.name, 'data-total': String(metric.total) },
    h(
      'figcaption',
      {},
      h('strong', {}, metric.name),
      h('span', { class: 'chart-total' }, String(metric.total)),
      h('span', { class: 'muted small block' }, `${metric.description}, per minute`),
    ),
    svg(
      'svg',
      { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label },
      svg('line', { class: 'axis', x1: left, x2: width - 6, y1: top + plotH, y2: top + plotH }),
      svg('line', { class: 'grid', x1: left, x2: width - 6, y1: top, y2: top }),
      svg('text', { class: 'tick', x: left - 4, y: top + 4, 'text-anchor': 'end' }, String(max)),
      svg('text', { class: 'tick', x: left - 4, y: top + plotH, 'text-anchor': 'end' }, '0'),
      points.length
        ? [
            svg('text', { class: 'tick', x: left, y: height - 4 }, time(points[0].minute)),
            svg(
              'text',
              { class: 'tick', x: width - 6, y: height - 4, 'text-anchor': 'end' },
              time(points[points.length - 1].minute),
            ),
          ]
        : null,
      points.map((p, i) =>
        p.value > 0
          ? svg(
              'rect',
              {
                class: 'point',
                'data-minute': p.minute,
                'data-value': String(p.value),
                x: left + i * step + step * 0.15,
                y: y(p.value),
                width: Math.max(1, step * 0.7),
                height: top + plotH - y(p.value),
              },
              svg('title', {}, `${time(p.minute)}: ${p.value}`),
            )
          : null,
      ),
    ),
  );
}

// ---------- refresh loop ----------

async function loadQuota() {
  const q = await api('/console/api/quota');
  render($('quota-gauge'), 'quota', q, drawQuota);
}

async function loadClasses() {
  const wg = await api('/workgroups');
  fillClassSelects(wg);
  $('classes-summary').textContent =
    `${wg.slotsInUse} slot${wg.slotsInUse === 1 ? '' : 's'} in use` +
    (wg.capacity !== undefined ? ` of a capacity of ${wg.capacity}` : '') +
    `. The bar's light part is the guaranteed share; a class above it borrows free capacity up to its max.`;
  render($('classes-table').tBodies[0], 'classes', wg, drawClasses);
}

async function loadQueries() {
  const params = new URLSearchParams({ limit: '50' });
  const className = $('filter-class').value;
  const status = $('filter-status').value;
  if (className) params.set('className', className);
  if (status) params.set('status', status);
  const page = await api(`/queries?${params}`);
  render($('queries-table').tBodies[0], 'queries', { ...page, selected: state.selectedQuery }, drawQueries);
  $('queries-note').textContent = page.nextToken
    ? 'Showing the newest 50 queries; filter to see others.'
    : '';
}

async function loadExecutions() {
  const list = await api('/console/api/executions?limit=50');
  render(
    $('executions-table').tBodies[0],
    'executions',
    { ...list, selected: state.selectedExecution },
    drawExecutions,
  );
}

async function loadMetrics() {
  const minutes = Number($('metric-minutes').value);
  const data = await api(`/console/api/metrics?minutes=${minutes}`);
  render($('charts'), 'metrics', data, (d) => d.metrics.map((m) => drawChart(m, d.minutes)));
}

async function loadGraph() {
  if (state.graph) return;
  state.graph = await api('/console/api/state-machine');
  state.rendered.delete('execution-detail');
}

async function refresh() {
  if (state.inFlight) return state.inFlight;
  state.inFlight = (async () => {
    const results = await Promise.allSettled([
      loadGraph(),
      loadQuota(),
      loadClasses(),
      loadQueries(),
      loadMetrics(),
      loadQueryDetail(),
    ]);
    // The execution list and panel follow the query detail, which may have picked a new execution.
    results.push(...(await Promise.allSettled([loadExecutions(), loadExecutionDetail()])));
    const failed = results.filter((r) => r.status === 'rejected');
    const status = $('refresh-status');
    const at = new Date().toLocaleTimeString([], { hour12: false });
    if (failed.length) {
      status.textContent = `Updated ${at}, with errors: ${failed[0].reason?.message ?? failed[0].reason}`;
      status.classList.add('error-text');
    } else {
      status.textContent = state.paused ? `Paused · updated ${at}` : `Updated ${at}`;
      status.classList.remove('error-text');
    }
  })();
  try {
    await state.inFlight;
  } finally {
    state.inFlight = false;
  }
}

function schedule() {
  clearTimeout(state.timer);
  if (state.paused || document.hidden) return;
  state.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, REFRESH_MS);
}

// ---------- wiring ----------

async function submitQuery(event) {
  event.preventDefault();
  const status = $('submit-status');
  const className = $('submit-class').value;
  const query = $('submit-sql').value;
  const button = event.submitter ?? $('submit-form').querySelector('button[type=submit]');
  button.disabled = true;
  status.className = '';
  status.textContent = 'Submitting…';
  try {
    const answer = await api(`/workgroups/${encodeURIComponent(className)}/queries`, {
      method: 'POST',
      body: JSON.stringify({ query }),
    });
    status.textContent = `Submitted as ${answer.queryId}.`;
    selectQuery(answer.queryId);
  } catch (error) {
    status.className = 'error-text';
    const problems = error.body?.errors?.map((e) => `${e.field}: ${e.problem}`).join('; ');
    status.textContent = `Not submitted: ${problems || error.message}`;
  } finally {
    button.disabled = false;
  }
}

function init() {
  readHash();
  $('submit-form').addEventListener('submit', submitQuery);
  for (const id of ['filter-class', 'filter-status', 'metric-minutes']) {
    $(id).addEventListener('change', () => refresh());
  }
  for (const id of ['query-filter', 'metrics-form']) {
    $(id).addEventListener('submit', (event) => event.preventDefault());
  }
  const toggle = $('refresh-toggle');
  toggle.addEventListener('click', () => {
    state.paused = !state.paused;
    toggle.setAttribute('aria-pressed', String(!state.paused));
    toggle.textContent = `Auto-refresh: ${state.paused ? 'off' : 'on'}`;
    if (state.paused) {
      clearTimeout(state.timer);
      $('refresh-status').textContent = 'Paused';
    } else {
      refresh().then(schedule);
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(state.timer);
    else if (!state.paused) refresh().then(schedule);
  });
  window.addEventListener('hashchange', () => {
    readHash();
    state.rendered.delete('query-detail');
    state.rendered.delete('execution-detail');
    refresh();
  });
  refresh().then(schedule);
}

init();
