// DOM and formatting helpers shared by the pages.
//
// Everything the server returns (log messages, CloudTrail fields, alarm
// reasons) may be attacker-controlled text. It reaches the page only through
// text nodes; nothing here sets innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

// Appends strings (as text), numbers, nodes and (nested) arrays of them;
// null, undefined and false are skipped.
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// h('a', {href: '#/x', class: 'y'}, 'text', child, [more]) -> HTMLElement.
// Attributes named on<event> with a function value become listeners.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

// ---- time ----

// Offset of the server's clock from ours, learnt from responses with "now",
// so that "time in state" does not depend on the browser's clock.
let serverOffsetMs = 0;
export function setServerNow(iso) {
  const t = Date.parse(iso);
  if (!Number.isNaN(t)) serverOffsetMs = t - Date.now();
}
export function now() {
  return Date.now() + serverOffsetMs;
}

let useUtc = localStorage.getItem('tw.utc') !== 'local';
export function utc() {
  return useUtc;
}
export function setUtc(on) {
  useUtc = on;
  localStorage.setItem('tw.utc', on ? 'utc' : 'local');
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// "2024-03-01 12:00:05" (UTC or local, as the header toggle says).
export function fmtTime(value, {seconds = true, date = true} = {}) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value ?? '');
  const u = useUtc;
  const ymd = `${d[u ? 'getUTCFullYear' : 'getFullYear']()}-${pad(d[u ? 'getUTCMonth' : 'getMonth']() + 1)}-` +
      pad(d[u ? 'getUTCDate' : 'getDate']());
  let hms = `${pad(d[u ? 'getUTCHours' : 'getHours']())}:${pad(d[u ? 'getUTCMinutes' : 'getMinutes']())}`;
  if (seconds) hms += `:${pad(d[u ? 'getUTCSeconds' : 'getSeconds']())}`;
  return date ? `${ymd} ${hms}` : hms;
}

export function timeZoneLabel() {
  if (useUtc) return 'UTC';
  const offset = -new Date().getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  return `UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

// A time as a datetime-local input's value, and back to ISO (null when
// empty or invalid): the inputs are in the zone the console displays.
export function toDatetimeLocal(t) {
  return fmtTime(t, {seconds: false}).replace(' ', 'T');
}
export function fromDatetimeLocal(value) {
  if (!value) return null;
  const seconds = /T\d\d:\d\d$/.test(value) ? `${value}:00` : value;
  const d = new Date(useUtc ? `${seconds}Z` : seconds);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

// <time> with the ISO value as its datetime and tooltip.
export function timeEl(iso, options) {
  if (!iso) return h('span', {class: 'muted'}, '—');
  return h('time', {datetime: iso, title: iso}, fmtTime(iso, options));
}

// 42 s, 3 min, 2 h 5 min, 3 d 4 h.
// "1 datapoint", "3 datapoints": a count with its noun.
export const counted = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function fmtDuration(ms) {
  if (!Number.isFinite(ms)) return '—';
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 60) return `${sec} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 24) return min % 60 ? `${hours} h ${min % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export function fmtPeriod(seconds) {
  if (seconds % 86400 === 0) return seconds === 86400 ? '1 day' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

export function fmtNum(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

// ---- alarm states: text and colour, never colour alone ----

const STATE_ICON = {ALARM: '▲', OK: '●', INSUFFICIENT_DATA: '◆'};
export function stateClass(state) {
  return `state-${String(state).toLowerCase().replace(/_/g, '-')}`;
}
export function stateBadge(state) {
  return h('span', {class: `state ${stateClass(state)}`},
      h('span', {class: 'icon', 'aria-hidden': 'true'}, STATE_ICON[state] ?? '○'), ' ',
      h('span', {class: 'label'}, state));
}

export function chip(text, kind) {
  return h('span', {class: `chip ${kind ? `chip-${kind}` : ''}`}, text);
}

// Delivery states (pending, delivered, retrying, dead, ...) as a chip.
export function deliveryChip(state) {
  const kind = {delivered: 'ok', dead: 'bad', failed: 'bad', pending: 'wait', retrying: 'wait'}[state];
  return chip(state, kind);
}

// ---- messages with highlights ----

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// `ranges` are [start, end) byte offsets into the UTF-8 form of `message`.
export function highlighted(message, ranges) {
  const text = String(message ?? '');
  const frag = document.createDocumentFragment();
  if (!ranges || ranges.length === 0) {
    frag.append(text);
    return frag;
  }
  const bytes = encoder.encode(text);
  const sorted = ranges.map(([a, b]) => [Math.max(0, a), Math.min(bytes.length, b)])
      .filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let at = 0;
  for (const [a, b] of sorted) {
    const start = Math.max(a, at);
    if (b <= start) continue;
    if (start > at) frag.append(decoder.decode(bytes.subarray(at, start)));
    frag.append(h('mark', null, decoder.decode(bytes.subarray(start, b))));
    at = b;
  }
  if (at < bytes.length) frag.append(decoder.decode(bytes.subarray(at)));
  return frag;
}

// Pretty JSON when `text` is JSON, else the text itself.
export function prettyJson(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// The error of an invalid filter pattern, with a caret under its column:
//   column 24: a JSON selector must start with '$'
//   { $.eventName = "x" && status = 401 }
//                          ^
export function patternError(pattern, error) {
  const column = Number.isInteger(error.column) ? error.column : null;
  const box = h('div', {class: 'pattern-error', role: 'alert'});
  // The message leads with AWS's sentence and repeats the column
  // ("Invalid metric filter pattern. Column 24: ..."): say each once.
  const message = String(error.error ?? error.message ?? 'invalid pattern')
      .replace(/^Invalid (metric )?filter pattern[.:]\s*/, '')
      .replace(/\bcolumn \d+:\s*/i, '');
  box.append(h('p', {class: 'error-text'},
      column ? [h('strong', {class: 'column'}, `column ${column}`), ': '] : null, message));
  if (column && typeof pattern === 'string' && pattern.length > 0) {
    const line = pattern.replace(/\n/g, ' ');
    const caret = ' '.repeat(Math.max(0, Math.min(column - 1, line.length))) + '^';
    const pre = h('pre', {class: 'caret', 'aria-label': `the pattern, with a caret under column ${column}`},
        line, '\n', h('span', {class: 'caret-mark'}, caret));
    box.append(pre);
    // Long patterns scroll: keep the caret in view.
    requestAnimationFrame(() => {
      const charWidth = pre.scrollWidth / Math.max(line.length + 1, caret.length) || 8;
      pre.scrollLeft = Math.max(0, (column - 1) * charWidth - pre.clientWidth / 2);
    });
  }
  // The server's message may already quote the fragment and the hint.
  if (error.fragment && !message.includes(error.fragment)) {
    box.append(h('p', null, 'near ', h('code', null, error.fragment)));
  }
  if (error.hint && !message.includes(error.hint)) box.append(h('p', {class: 'hint'}, error.hint));
  return box;
}

export function errorBox(err) {
  return h('p', {class: 'error', role: 'alert'}, err instanceof Error ? err.message : String(err));
}

// A confirmation in the page (not window.confirm): `holder` shows the
// question, a danger button `yes` and Cancel. Yes runs `action` (an AWS
// refusal stays beside it, AWS's message verbatim); Cancel runs `restore`,
// which redraws what the holder showed before.
export function confirmInline(holder, {question, yes, action, restore}) {
  const button = h('button', {type: 'button', class: 'danger confirm-delete'}, yes);
  const error = h('p', {class: 'error', role: 'alert', hidden: true});
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      if (err.status === 401) return;
      button.disabled = false;
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  holder.replaceChildren(h('span', {class: 'confirm'}, question), ' ', button, ' ',
      h('button', {type: 'button', class: 'confirm-cancel', onclick: restore}, 'Cancel'), error);
  button.focus();
}

// Runs `action` with `control` disabled. Its refusal (AWS's message as the
// API gave it) replaces `errorHolder`'s children; success empties them.
export async function runWith(control, errorHolder, action) {
  control.disabled = true;
  try {
    await action();
    errorHolder.replaceChildren();
  } catch (err) {
    if (err.status !== 401) errorHolder.replaceChildren(errorBox(err));
  } finally {
    control.disabled = false;
  }
}

export function empty(text) {
  return h('p', {class: 'empty'}, text);
}

// Runs `task` now and then `intervalMs` after each run ends (never two at
// once); returns stop(). A task error does not stop the polling.
export function poll(task, intervalMs) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    try {
      await task();
    } catch (err) {
      console.debug('poll', err);
    }
    if (!stopped) timer = setTimeout(run, intervalMs);
  };
  const onVisible = () => {
    if (!document.hidden && timer !== null) {
      clearTimeout(timer);
      run();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  run();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

// Gives each cell of `tr` its column's header as data-label: on a narrow
// screen a table's rows become cards, and each field says what it is
// (style.css shows the label with attr(); no markup per page).
export function labelCells(tr, headers) {
  if (!tr || tr.children.length !== headers.length) return tr;  // a full-width row (colspan)
  [...tr.children].forEach((cell, i) => {
    if (headers[i] && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', headers[i]);
  });
  return tr;
}

// A table from column headers and rows of cells.
export function table(headers, rows, attrs) {
  for (const tr of rows.flat(Infinity)) labelCells(tr, headers);
  return h('div', {class: 'table-wrap'},
      h('table', attrs ?? null,
          h('thead', null, h('tr', null, headers.map((x) => h('th', {scope: 'col'}, x)))),
          h('tbody', null, rows)));
}

// A table head whose columns sort: a click on a header sorts by it, a
// second click reverses; aria-sort says which column and which way.
// `columns` are {label, key?: (item) => string | number}; a column without a
// key does not sort. `order` ({column, descending}) belongs to the caller, so
// the order outlives a re-render of the rows; `onChange` re-renders them.
// Returns {thead, compare(a, b)}; `tieBreak` orders equal keys.
export function sortableHead(columns, order, onChange, tieBreak) {
  const cells = columns.map((column, i) => {
    if (!column.key) return h('th', {scope: 'col', class: 'unsorted'}, column.label);
    const button = h('button', {type: 'button', class: 'sort'}, column.label,
        h('span', {class: 'sort-mark', 'aria-hidden': 'true'}));
    button.addEventListener('click', () => {
      order.descending = order.column === i ? !order.descending : false;
      order.column = i;
      show();
      onChange();
    });
    return h('th', {scope: 'col'}, button);
  });
  function show() {
    cells.forEach((th, i) => {
      if (!columns[i].key) return;
      const sorted = order.column === i;
      th.setAttribute('aria-sort', sorted ? (order.descending ? 'descending' : 'ascending') : 'none');
      th.querySelector('.sort-mark').textContent = sorted ? (order.descending ? ' ▼' : ' ▲') : '';
    });
  }
  show();
  const compare = (a, b) => {
    const key = columns[order.column]?.key;
    const ka = key ? key(a) : 0;
    const kb = key ? key(b) : 0;
    const byKey = typeof ka === 'string' ? ka.localeCompare(kb) : ka - kb;
    return (order.descending ? -byKey : byKey) || (tieBreak ? tieBreak(a, b) : 0);
  };
  return {thead: h('thead', null, h('tr', null, cells)), compare};
}

export function section(title, ...children) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', {class: 'panel', 'aria-labelledby': id}, h('h2', {id}, title), children);
}
