// Log groups: the list, and one group's streams, metric filters, recent
// events (searched with a filter pattern, matches highlighted) and the
// pattern tester that re-runs as the pattern is typed.

import {get, post} from './api.js';
import {
  debounce, empty, errorBox, fmtBytes, h, highlighted, patternError, section, table, timeEl,
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
  const tester = patternTester(name, query.get('test'));
  const search = eventSearch(name, query.get('pattern') ?? '');
  main.append(
      h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/logs'}, 'Log groups'), ' › ', name),
      h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, name)),
      overview,
      section('Recent events', search.element),
      section('Pattern tester', tester.element),
      section('Metric filters', filtersBox),
      section('Streams', streamsBox));

  get('logs').then((data) => {
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
      table(['Filter', 'Pattern', 'Metric', 'Value', 'Default', ''], filters.map((f) => h('tr', null,
          h('th', {scope: 'row'}, f.name),
          h('td', null, h('code', {class: 'pattern'}, f.pattern)),
          h('td', null, `${f.metricNamespace} / ${f.metricName}`),
          h('td', null, h('code', null, f.metricValue)),
          h('td', null, f.defaultValue === null || f.defaultValue === undefined ? '—' : String(f.defaultValue)),
          h('td', null, h('button', {type: 'button', onclick: () => tester.load(f.pattern)}, 'Test'),
              ' ', h('button', {type: 'button', onclick: () => search.load(f.pattern)}, 'Search')))),
      {class: 'filters'}));
    if (!query.get('test') && filters.length) tester.suggest(filters[0].pattern);
  }).catch((err) => {
    if (err.status !== 401) overview.replaceChildren(errorBox(err));
  });

  return () => {
    tester.stop();
    search.stop();
  };
}

function updateQuery(key, value) {
  const [path, q] = location.hash.split('?');
  const params = new URLSearchParams(q ?? '');
  if (value) params.set(key, value); else params.delete(key);
  const rest = params.toString();
  history.replaceState(null, '', rest ? `${path}?${rest}` : path);
}

function eventLine(event) {
  return h('li', {class: 'event'},
      h('div', {class: 'event-meta'}, timeEl(new Date(event.timestamp).toISOString()), ' ',
          h('span', {class: 'stream'}, event.stream ?? '')),
      h('code', {class: 'message'}, highlighted(event.message, event.highlights)));
}

function eventSearch(group, initial) {
  const input = h('input', {type: 'search', id: 'search-pattern', value: initial, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'e.g. { $.eventName = "DeletePolicy" } or ERROR -DEBUG', class: 'mono'});
  const limit = h('select', {id: 'search-limit'}, [50, 100, 200, 500].map((n) =>
    h('option', {value: n, selected: n === 100}, String(n))));
  const result = h('div', {class: 'search-result', 'aria-live': 'polite'});
  const form = h('form', {class: 'search', role: 'search'},
      h('div', {class: 'field grow'}, h('label', {for: 'search-pattern'}, 'Filter pattern'), input),
      h('div', {class: 'field'}, h('label', {for: 'search-limit'}, 'Newest'), limit),
      h('button', {type: 'submit'}, 'Search'));
  let controller = null;
  let sequence = 0;

  async function run() {
    later.cancel();
    const pattern = input.value.trim();
    updateQuery('pattern', pattern);
    controller?.abort();
    controller = new AbortController();
    const mine = ++sequence;
    // The server searches a page of the group at a time (newest first);
    // "Search older events" goes on from where the last page stopped.
    const found = [];
    let scanned = 0;
    const page = async (token) => {
      const params = new URLSearchParams({pattern, limit: limit.value});
      if (token) params.set('token', token);
      const data = await get(`logs/${encodeURIComponent(group)}/events?${params}`, {signal: controller.signal});
      if (mine !== sequence) return;
      found.push(...(data.events ?? []));
      scanned += data.scanned ?? 0;
      const older = data.nextToken ? h('button', {type: 'button', class: 'search-older'}, 'Search older events') : null;
      older?.addEventListener('click', () => {
        older.disabled = true;
        page(data.nextToken).catch(failed);
      });
      result.replaceChildren(
          h('p', {class: 'muted'}, `${found.length} ${pattern ? 'matching ' : ''}event${found.length === 1 ? '' : 's'} ` +
              `(newest first${pattern ? `; ${scanned.toLocaleString('en')} scanned` : ''}${data.nextToken ? '; older events not searched yet' : ''}).`),
          found.length ? h('ol', {class: 'events'}, found.map(eventLine)) :
            empty(data.nextToken ? 'No match in the newest events.' :
              pattern ? 'No event matches.' : 'No events in this group yet.'),
          older);
    };
    const failed = (err) => {
      if (err.name === 'AbortError' || err.status === 401 || mine !== sequence) return;
      result.replaceChildren(err.status === 400 ? patternError(pattern, err.body) : errorBox(err));
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
    element: h('div', null, form, result),
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

function patternTester(group, initial) {
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
    updateQuery('test', patternInput.value);
    later();
  });
  messages.addEventListener('input', later);
  for (const radio of [sourceGroup, sourcePasted]) {
    radio.addEventListener('change', () => {
      messagesField.hidden = !sourcePasted.checked;
      run();
    });
  }

  const element = h('div', {class: 'tester'},
      h('div', {class: 'field'}, h('label', {for: 'tester-pattern'}, 'Pattern'), patternInput,
          h('p', {id: 'tester-help', class: 'muted'},
              'Results update as you type. JSON patterns look like { $.eventName = "DeletePolicy" }; ' +
              'space-delimited ones like [ip, user, ..., status = 4*].')),
      h('fieldset', {class: 'inline'}, h('legend', null, 'Test against'),
          sourceGroup, h('label', {for: 'tester-source-group'}, 'the group’s newest 100 events'),
          sourcePasted, h('label', {for: 'tester-source-pasted'}, 'pasted messages')),
      messagesField, result);
  if (initial) queueMicrotask(run);
  return {
    element,
    load(pattern) {
      patternInput.value = pattern;
      updateQuery('test', pattern);
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
