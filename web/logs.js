// Log groups: the list, and one group's page: the pattern tester (re-run as
// the pattern is typed) with a form that makes a metric filter of its
// pattern; the events, searched with a pattern over a time range a page at
// a time (CloudTrail records as a table, matches highlighted, the raw JSON
// on expand); the metric filters (edit, delete) and the streams.

import {callAws, get, post} from './api.js';
import {
  confirmInline, debounce, empty, errorBox, fmtBytes, fromDatetimeLocal, h, highlighted, now, patternError, prettyJson, section,
  table, timeEl, timeZoneLabel, toDatetimeLocal,
} from './ui.js';

const TESTER_DEBOUNCE_MS = 200;
const SEARCH_DEBOUNCE_MS = 350;
const MAX_PASTED = 100;

export const groupHref = (name) => `#/logs/${encodeURIComponent(name)}`;

const retentionText = (days) => (days === null || days === undefined ? 'Never expire' :
  `${days} day${days === 1 ? '' : 's'}`);

function lastEvent(group) {
  const times = (group.streams ?? []).map((s) => s.lastEvent).filter(Boolean).map(Date.parse);
  return times.length ? new Date(Math.max(...times)).toISOString() : null;
}

export function logGroupsPage(main) {
  const body = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Log groups')), body);
  document.title = 'Log groups — trailwatch';
  get('logs').then((data) => {
    const groups = data.groups ?? [];
    if (groups.length === 0) {
      body.replaceChildren(empty('No log groups yet: create one with aws logs create-log-group or a --template.'));
      return;
    }
    body.replaceChildren(table(['Name', 'Retention', 'Streams', 'Metric filters', 'Stored', 'Last event', 'Created'],
        groups.map((g) => h('tr', {'data-group': g.name},
            h('th', {scope: 'row'}, h('a', {href: groupHref(g.name)}, g.name)),
            h('td', null, retentionText(g.retentionInDays)),
            h('td', {class: 'num'}, (g.streams ?? []).length),
            h('td', {class: 'num'}, g.metricFilterCount ?? (g.metricFilters ?? []).length),
            h('td', {class: 'num'}, fmtBytes(g.storedBytes)),
            h('td', null, timeEl(lastEvent(g))),
            h('td', null, timeEl(g.created)))), {class: 'groups'}));
  }).catch((err) => {
    if (err.status !== 401) body.replaceChildren(errorBox(err));
  });
}

export function logGroupPage(main, name, query) {
  document.title = `${name} — trailwatch`;
  const overview = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  const streamsBox = h('div');
  const filtersBox = h('div');
  const tester = patternTester(name, query.get('test'), () => loadGroup());
  const search = eventSearch(name, query);
  main.append(
      h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/logs'}, 'Log groups'), ' › ', name),
      h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, name)),
      overview,
      section('Pattern tester', tester.element),
      section('Events', search.element),
      section('Metric filters', filtersBox),
      section('Streams', streamsBox));

  let loads = 0;
  function loadGroup() {
    const mine = ++loads;
    return get('logs').then((data) => {
      if (mine !== loads) return;
      const group = (data.groups ?? []).find((g) => g.name === name);
      if (!group) {
        overview.replaceChildren(errorBox(`There is no log group ${name}.`));
        return;
      }
      overview.replaceChildren(h('dl', {class: 'facts'},
          h('dt', null, 'Retention'), h('dd', null, retentionText(group.retentionInDays)),
          h('dt', null, 'Stored'), h('dd', null, fmtBytes(group.storedBytes)),
          h('dt', null, 'Created'), h('dd', null, timeEl(group.created))));
      const streams = group.streams ?? [];
      streamsBox.replaceChildren(streams.length === 0 ? empty('No streams yet.') :
        table(['Stream', 'Last event', 'Stored'], streams.map((s) => h('tr', null,
            h('th', {scope: 'row'}, s.name), h('td', null, timeEl(s.lastEvent)),
            h('td', {class: 'num'}, fmtBytes(s.storedBytes))))));
      const filters = group.metricFilters ?? [];
      filtersBox.replaceChildren(filters.length === 0 ? empty('No metric filters on this group.') :
        table(['Filter', 'Pattern', 'Metric', 'Value', 'Default', ''],
            filters.map((f) => filterRow(f, {tester, search, group: name, changed: loadGroup})),
            {class: 'filters'}));
      if (!query.get('test') && filters.length) tester.suggest(filters[0].pattern);
    }).catch((err) => {
      if (err.status !== 401) overview.replaceChildren(errorBox(err));
    });
  }
  loadGroup();

  return () => {
    tester.stop();
    search.stop();
  };
}

// One metric filter: test or search its pattern, edit it (the tester's form,
// pre-filled), or delete it after a confirmation.
function filterRow(filter, {tester, search, group, changed}) {
  const actions = h('td', {class: 'actions'});
  const buttons = () => actions.replaceChildren(
      h('button', {type: 'button', onclick: () => tester.load(filter.pattern)}, 'Test'), ' ',
      h('button', {type: 'button', onclick: () => search.load(filter.pattern)}, 'Search'), ' ',
      h('button', {type: 'button', class: 'edit-filter', onclick: () => tester.edit(filter)}, 'Edit'), ' ',
      h('button', {type: 'button', class: 'delete-filter', onclick: confirmDelete}, 'Delete'));
  const confirmDelete = () => confirmInline(actions, {
    question: `Delete ${filter.name}?`, yes: 'Delete filter', restore: buttons,
    action: async () => {
      await callAws('logs', 'DeleteMetricFilter', {logGroupName: group, filterName: filter.name});
      await changed();
    },
  });
  buttons();
  return h('tr', {'data-filter': filter.name},
      h('th', {scope: 'row'}, filter.name),
      h('td', null, h('code', {class: 'pattern'}, filter.pattern)),
      h('td', null, `${filter.metricNamespace} / ${filter.metricName}`),
      h('td', null, h('code', null, filter.metricValue)),
      h('td', null, filter.defaultValue === null || filter.defaultValue === undefined ? '—' : String(filter.defaultValue)),
      actions);
}

function updateQuery(changes) {
  const [path, q] = location.hash.split('?');
  const params = new URLSearchParams(q ?? '');
  for (const [key, value] of Object.entries(changes)) {
    if (value) params.set(key, value); else params.delete(key);
  }
  const rest = params.toString();
  history.replaceState(null, '', rest ? `${path}?${rest}` : path);
}

// ---- events ----

const RANGES = [['15m', '15 min', 15 * 60e3], ['1h', '1 h', 3600e3], ['6h', '6 h', 6 * 3600e3],
  ['1d', '1 d', 86400e3], ['1w', '1 w', 7 * 86400e3], ['all', 'All'], ['custom', 'Custom']];

// "iam.amazonaws.com" -> "iam".
const serviceOf = (eventSource) => String(eventSource ?? '').replace(/\.amazonaws\.com$/, '');

// The texts a pattern matched (the byte ranges of the message, decoded),
// so that they can be marked again wherever the event's fields appear.
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
function matchedTexts(event) {
  const bytes = utf8.encode(event.message ?? '');
  return [...new Set((event.highlights ?? []).map(([a, b]) => fromUtf8.decode(bytes.subarray(a, b))))]
      .filter((t) => t.length > 0);
}

// `text` with every occurrence of `terms` in <mark>.
function marked(text, terms) {
  const value = String(text ?? '');
  const ranges = [];
  for (const term of terms) {
    for (let at = value.indexOf(term); at >= 0; at = value.indexOf(term, at + term.length)) {
      ranges.push([at, at + term.length]);
    }
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const frag = document.createDocumentFragment();
  let at = 0;
  for (const [a, b] of ranges) {
    if (b <= at) continue;
    if (a > at) frag.append(value.slice(at, a));
    frag.append(h('mark', null, value.slice(Math.max(a, at), b)));
    at = b;
  }
  frag.append(value.slice(at));
  return frag;
}

const CLOUDTRAIL_COLUMNS = ['Time', 'Event', 'Principal', 'Source IP', 'Error'];
const PLAIN_COLUMNS = ['Time', 'Stream', 'Message'];

// A table of events that grows a page at a time. Its columns are
// CloudTrail's when the first page has a CloudTrail record; a row that
// does not fit them shows its stream and message across the other columns.
function eventTable(events) {
  const cloudtrail = events.some((e) => e.cloudtrail);
  const columns = cloudtrail ? CLOUDTRAIL_COLUMNS : PLAIN_COLUMNS;
  const body = h('tbody');
  const element = h('div', {class: 'table-wrap'},
      h('table', {class: `log-events ${cloudtrail ? 'cloudtrail' : 'plain'}`},
          h('thead', null, h('tr', null, columns.map((c) => h('th', {scope: 'col'}, c)))), body));
  let rows = 0;

  function append(list) {
    for (const event of list) {
      const id = `event-detail-${++rows}`;
      const terms = matchedTexts(event);
      const ct = cloudtrail ? event.cloudtrail : null;
      const detail = h('tr', {class: 'event-detail', id, hidden: true},
          h('td', {colspan: columns.length},
              h('p', {class: 'event-facts'}, 'Stream ', h('code', null, event.stream ?? ''),
                  ' · event ID ', h('code', null, event.eventId ?? '')),
              h('pre', {class: 'json'}, marked(prettyJson(event.message ?? ''), terms))));
      const toggle = h('button', {type: 'button', class: 'expander', 'aria-expanded': 'false', 'aria-controls': id,
        title: 'Show the whole event'}, h('span', {class: 'twisty', 'aria-hidden': 'true'}, '▸'), ' ',
      timeEl(event.timestamp));
      const failure = ct?.failure;
      const cells = ct ? [
        h('td', {'data-label': 'Event', class: 'event-name'}, h('strong', null, marked(ct.eventName, terms)),
            ' ', h('span', {class: 'sub service'}, marked(serviceOf(ct.eventSource), terms))),
        h('td', {'data-label': 'Principal', class: 'principal'},
            ct.principal ? marked(ct.principal, terms) : h('span', {class: 'muted'}, '—')),
        h('td', {'data-label': 'Source IP', class: 'ip'},
            ct.sourceIPAddress ? marked(ct.sourceIPAddress, terms) : h('span', {class: 'muted'}, '—')),
        h('td', {'data-label': 'Error', class: 'error-cell'}, failure ?
          h('span', {class: 'failure', title: ct.errorMessage ?? failure},
              h('span', {'aria-hidden': 'true'}, '✖ '), marked(failure, terms)) :
          h('span', {class: 'muted'}, '—')),
      ] : [
        h('td', {'data-label': 'Stream', class: 'stream'}, event.stream ?? ''),
        h('td', {'data-label': 'Message', colspan: cloudtrail ? columns.length - 2 : null},
            h('code', {class: 'message'}, highlighted(event.message, event.highlights))),
      ];
      const row = h('tr', {class: `event${failure ? ' failed' : ''}`},
          h('td', {'data-label': 'Time', class: 'time'}, toggle), cells);
      const flip = () => {
        const open = detail.hidden;
        detail.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        row.classList.toggle('open', open);
      };
      toggle.addEventListener('click', (e) => {
        e.stopPropagation();
        flip();
      });
      // A click anywhere on the row opens it too, unless it selected text.
      row.addEventListener('click', () => {
        if (!window.getSelection()?.toString()) flip();
      });
      body.append(row, detail);
    }
  }
  append(events);
  return {element, append};
}

function eventSearch(group, query) {
  const input = h('input', {type: 'search', id: 'search-pattern', value: query.get('pattern') ?? '', autocomplete: 'off',
    spellcheck: 'false', placeholder: 'e.g. { $.eventName = "DeletePolicy" } or ERROR -DEBUG', class: 'mono'});
  const limit = h('select', {id: 'search-limit'}, [50, 100, 200, 500].map((n) =>
    h('option', {value: n, selected: n === 100}, String(n))));
  let range = RANGES.some(([r]) => r === query.get('range')) ? query.get('range') : 'all';
  const rangeButtons = RANGES.map(([value, label]) => h('button', {
    type: 'button', 'aria-pressed': String(range === value), 'data-range': value,
    onclick: () => {
      range = value;
      if (value === 'custom') {
        if (!startInput.value) startInput.value = toDatetimeLocal(now() - 3600e3);
        if (!endInput.value) endInput.value = toDatetimeLocal(Math.ceil(now() / 60e3) * 60e3);
      }
      run();
    },
  }, label));
  const startInput = h('input', {type: 'datetime-local', id: 'events-start',
    value: query.get('start') ? toDatetimeLocal(query.get('start')) : null});
  const endInput = h('input', {type: 'datetime-local', id: 'events-end',
    value: query.get('end') ? toDatetimeLocal(query.get('end')) : null});
  const customForm = h('form', {class: 'custom-range', hidden: range !== 'custom'},
      h('label', {for: 'events-start'}, 'From'), startInput,
      h('label', {for: 'events-end'}, 'to'), endInput,
      h('span', {class: 'muted'}, timeZoneLabel()),
      h('button', {type: 'submit'}, 'Apply'));
  customForm.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  const result = h('div', {class: 'search-result', 'aria-live': 'polite'});
  const form = h('form', {class: 'search', role: 'search'},
      h('div', {class: 'field grow'}, h('label', {for: 'search-pattern'}, 'Filter pattern'), input),
      h('div', {class: 'field'}, h('label', {for: 'search-limit'}, 'Page size'), limit),
      h('button', {type: 'submit'}, 'Search'));
  let controller = null;
  let sequence = 0;

  // The range as the endpoint's start and end (ISO; either may be absent).
  function bounds() {
    if (range === 'custom') return {start: fromDatetimeLocal(startInput.value), end: fromDatetimeLocal(endInput.value)};
    const span = RANGES.find(([r]) => r === range)?.[2];
    return span ? {start: new Date(now() - span).toISOString(), end: null} : {start: null, end: null};
  }

  async function run() {
    later.cancel();
    const pattern = input.value.trim();
    for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
    customForm.hidden = range !== 'custom';
    const {start, end} = bounds();
    updateQuery({pattern, range: range === 'all' ? null : range,
      start: range === 'custom' ? start : null, end: range === 'custom' ? end : null});
    controller?.abort();
    controller = new AbortController();
    const mine = ++sequence;
    // The server searches a page of the group at a time (newest first);
    // "Load more" goes on from where the last page stopped and appends.
    const params = new URLSearchParams({pattern, limit: limit.value});
    if (start) params.set('start', start);
    if (end) params.set('end', end);
    let found = 0;
    let scanned = 0;
    let events = null;  // the table, from the first page with events
    const summary = h('p', {class: 'muted'});
    const list = h('div');
    const more = h('button', {type: 'button', class: 'load-more'}, 'Load more');
    const page = async (token) => {
      if (token) params.set('token', token);
      const data = await get(`logs/${encodeURIComponent(group)}/events?${params}`, {signal: controller.signal});
      if (mine !== sequence) return;
      const got = data.events ?? [];
      found += got.length;
      scanned += data.scanned ?? 0;
      if (got.length && !events) {
        events = eventTable(got);
        list.replaceChildren(events.element);
      } else if (got.length) {
        events.append(got);
      } else if (!events) {
        list.replaceChildren(empty(data.nextToken ? 'No match in the newest events.' :
          pattern ? 'No event matches.' : range === 'all' ? 'No events in this group yet.' : 'No events in this range.'));
      }
      summary.textContent = `${found} ${pattern ? 'matching ' : ''}event${found === 1 ? '' : 's'} ` +
          `(newest first${pattern ? `; ${scanned.toLocaleString('en')} scanned` : ''}` +
          `${data.nextToken ? '; older events not searched yet' : ''}).`;
      more.disabled = false;
      more.onclick = () => {
        more.disabled = true;
        page(data.nextToken).catch(failed);
      };
      if (!token) result.replaceChildren(summary, list, more);
      if (!data.nextToken) more.remove();
    };
    const failed = (err) => {
      if (err.name === 'AbortError' || err.status === 401 || mine !== sequence) return;
      if (result.contains(more)) {  // a later page: keep what was found
        more.disabled = false;
        more.before(errorBox(err));
      } else {
        result.replaceChildren(err.status === 400 && err.body?.column ? patternError(pattern, err.body) : errorBox(err));
      }
    };
    await page(null).catch(failed);
  }
  const later = debounce(run, SEARCH_DEBOUNCE_MS);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  input.addEventListener('input', later);
  limit.addEventListener('change', run);
  run();
  return {
    element: h('div', null, form,
        h('div', {class: 'toolbar'},
            h('div', {class: 'segmented buttons', role: 'group', 'aria-label': 'Time range'}, rangeButtons),
            customForm),
        result),
    load(pattern) {
      input.value = pattern;
      run();
      input.focus();
    },
    stop() {
      later.cancel();
      controller?.abort();
    },
  };
}

// ---- the pattern tester, and a metric filter from its pattern ----

function patternTester(group, initial, filtersChanged) {
  const patternInput = h('textarea', {id: 'tester-pattern', class: 'mono', rows: 3, spellcheck: 'false',
    autocomplete: 'off', 'aria-describedby': 'tester-help'}, initial ?? '');
  const sourceGroup = h('input', {type: 'radio', name: 'tester-source', id: 'tester-source-group', value: 'group',
    checked: true});
  const sourcePasted = h('input', {type: 'radio', name: 'tester-source', id: 'tester-source-pasted',
    value: 'pasted'});
  const messages = h('textarea', {id: 'tester-messages', class: 'mono', rows: 5, spellcheck: 'false',
    placeholder: 'one log message per line (at most 100)'});
  const messagesField = h('div', {class: 'field', hidden: true},
      h('label', {for: 'tester-messages'}, 'Messages'), messages);
  const result = h('div', {class: 'tester-result', 'aria-live': 'polite'});
  let controller = null;
  let sequence = 0;

  async function run() {
    later.cancel();
    const pattern = patternInput.value;
    controller?.abort();
    controller = new AbortController();
    const mine = ++sequence;
    const body = {pattern};
    if (sourcePasted.checked) {
      const lines = messages.value.split('\n').filter((l) => l.trim() !== '');
      if (lines.length === 0) {
        result.replaceChildren(empty('Paste some messages, one per line.'));
        return;
      }
      body.messages = lines.slice(0, MAX_PASTED);
    } else {
      body.group = group;
    }
    result.classList.add('busy');
    try {
      const data = await post('test-pattern', body, {signal: controller.signal});
      if (mine !== sequence) return;
      const matches = data.matches ?? [];
      const tested = data.tested ?? '?';
      result.replaceChildren(
          h('p', {class: `verdict ${matches.length ? 'has-matches' : 'no-matches'}`},
              `${matches.length} of ${tested} ${sourcePasted.checked ? 'messages' : 'recent events'} match.`,
              body.messages && messages.value.split('\n').filter((l) => l.trim()).length > MAX_PASTED ?
                ` Only the first ${MAX_PASTED} were tested.` : ''),
          matches.length ? h('ol', {class: 'matches'}, matches.map(matchItem)) : '');
    } catch (err) {
      if (err.name === 'AbortError' || err.status === 401 || mine !== sequence) return;
      result.replaceChildren(err.status === 400 && err.body?.error ? patternError(pattern, err.body) : errorBox(err));
    } finally {
      if (mine === sequence) result.classList.remove('busy');
    }
  }
  const later = debounce(run, TESTER_DEBOUNCE_MS);
  patternInput.addEventListener('input', () => {
    updateQuery({test: patternInput.value});
    later();
  });
  messages.addEventListener('input', later);
  for (const radio of [sourceGroup, sourcePasted]) {
    radio.addEventListener('change', () => {
      messagesField.hidden = !sourcePasted.checked;
      run();
    });
  }

  const filterForm = metricFilterForm(group, () => patternInput.value, filtersChanged);
  const element = h('div', {class: 'tester'},
      h('div', {class: 'field'}, h('label', {for: 'tester-pattern'}, 'Pattern'), patternInput,
          h('p', {id: 'tester-help', class: 'muted'},
              'Results update as you type. JSON patterns look like { $.eventName = "DeletePolicy" }; ' +
              'space-delimited ones like [ip, user, ..., status = 4*].')),
      filterForm.element,
      h('fieldset', {class: 'inline'}, h('legend', null, 'Test against'),
          sourceGroup, h('label', {for: 'tester-source-group'}, 'the group’s newest 100 events'),
          sourcePasted, h('label', {for: 'tester-source-pasted'}, 'pasted messages')),
      messagesField, result);
  if (initial) queueMicrotask(run);
  return {
    element,
    // Loads a filter's pattern and opens the form on it (PutMetricFilter
    // with the same name replaces the filter).
    edit(filter) {
      this.load(filter.pattern);
      filterForm.open(filter);
    },
    load(pattern) {
      patternInput.value = pattern;
      updateQuery({test: pattern});
      patternInput.focus();
      run();
    },
    // Prefills the tester with the group's first metric filter pattern, unless the user typed.
    suggest(pattern) {
      if (patternInput.value) return;
      patternInput.value = pattern;
      run();
    },
    stop() {
      later.cancel();
      controller?.abort();
    },
  };
}

function matchItem(match) {
  const values = Object.entries(match.extractedValues ?? {});
  return h('li', {class: 'match', 'data-event': match.eventNumber},
      h('div', {class: 'event-meta'}, `event ${match.eventNumber}`),
      h('code', {class: 'message'}, highlighted(match.message ?? match.eventMessage, match.highlights)),
      values.length ? h('dl', {class: 'extracted'}, values.map(([k, v]) =>
        [h('dt', null, h('code', null, k)), h('dd', null, h('code', null, typeof v === 'string' ? v : JSON.stringify(v)))])) :
        null);
}

// "Create metric filter from this pattern": a small form whose filter takes
// the tester's current pattern, created (or, for a filter being edited,
// replaced) with PutMetricFilter. AWS's refusal shows beside the form.
function metricFilterForm(group, currentPattern, created) {
  const opener = h('button', {type: 'button', class: 'create-filter', 'aria-expanded': 'false',
    'aria-controls': 'metric-filter-form'}, 'Create metric filter from this pattern');
  const field = (id, label, attrs, hint) => {
    const input = h('input', {id, name: id, autocomplete: 'off', spellcheck: 'false', ...attrs});
    return {input, element: h('div', {class: 'field'}, h('label', {for: id}, label), input,
        hint ? h('span', {class: 'sub'}, hint) : null)};
  };
  const filterName = field('mf-name', 'Filter name', {required: true});
  const namespace = field('mf-namespace', 'Metric namespace', {required: true, value: 'CloudTrailMetrics'});
  const metricName = field('mf-metric', 'Metric name', {required: true});
  const metricValue = field('mf-value', 'Metric value', {required: true, value: '1', class: 'mono'},
      '1, or a selector such as $.bytes');
  const defaultValue = field('mf-default', 'Default value', {inputmode: 'decimal'}, 'optional');
  const heading = h('h3', null, 'New metric filter');
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Create');
  const error = h('p', {class: 'error', role: 'alert', hidden: true});
  const form = h('form', {class: 'metric-filter-form', id: 'metric-filter-form', hidden: true},
      heading,
      h('p', {class: 'sub'}, 'The filter uses the pattern above, as it is when you create it.'),
      h('div', {class: 'fields'}, [filterName, namespace, metricName, metricValue, defaultValue].map((f) => f.element)),
      h('div', {class: 'form-actions'}, submit, ' ',
          h('button', {type: 'button', onclick: () => close()}, 'Cancel')),
      error);
  const status = h('p', {class: 'notice', role: 'status'});

  let editing = null;  // the name of the filter being edited
  function open(filter) {
    if (!filter && editing) form.reset();  // from editing one filter to a new one
    editing = filter?.name ?? null;
    form.hidden = false;
    opener.setAttribute('aria-expanded', 'true');
    error.hidden = true;
    status.replaceChildren();
    filterName.input.readOnly = Boolean(filter);
    heading.textContent = filter ? `Edit metric filter ${filter.name}` : 'New metric filter';
    submit.textContent = filter ? 'Save' : 'Create';
    if (filter) {
      filterName.input.value = filter.name;
      namespace.input.value = filter.metricNamespace;
      metricName.input.value = filter.metricName;
      metricValue.input.value = filter.metricValue;
      defaultValue.input.value = filter.defaultValue ?? '';
    }
    (filter ? namespace : filterName).input.focus();
  }
  function close() {
    form.hidden = true;
    opener.setAttribute('aria-expanded', 'false');
    opener.focus();
  }
  opener.addEventListener('click', () => (form.hidden ? open(null) : close()));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const transformation = {
      metricNamespace: namespace.input.value.trim(),
      metricName: metricName.input.value.trim(),
      metricValue: metricValue.input.value.trim(),
    };
    const fallback = defaultValue.input.value.trim();
    // A number when it reads as one; anything else goes as typed, for AWS to refuse.
    if (fallback !== '') transformation.defaultValue = Number.isFinite(Number(fallback)) ? Number(fallback) : fallback;
    const name = filterName.input.value.trim();
    submit.disabled = true;
    error.hidden = true;
    try {
      await callAws('logs', 'PutMetricFilter', {logGroupName: group, filterName: name,
        filterPattern: currentPattern(), metricTransformations: [transformation]});
      const edited = editing;
      close();
      form.reset();
      editing = null;
      status.replaceChildren(h('span', {class: 'ok'}, `Metric filter ${name} ${edited ? 'saved' : 'created'}.`));
      await created();
    } catch (err) {
      if (err.status === 401) return;
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return {element: h('div', {class: 'metric-filter'}, opener, status, form), open};
}
