// The Alarms page (every alarm, polled every 2 s) and the alarm detail page
// (graph over a chosen range, configuration in words, history, evidence).

import {get} from './api.js';
import {alarmControls} from './alarm_controls.js';
import {OPERATOR_SYMBOL, sparkline, timeChart} from './chart.js';
import {mutedChip, silencingControls} from './silencing.js';
import {
  append, chip, counted, debounce, deliveryChip, empty, errorBox, fmtDuration, fmtNum, fmtPeriod, fmtTime,
  fromDatetimeLocal, h, labelCells, now, poll, prettyJson, section, setServerNow, sortableHead, stateBadge, table,
  timeEl, timeZoneLabel, toDatetimeLocal,
} from './ui.js';

const STATES = ['ALARM', 'INSUFFICIENT_DATA', 'OK'];
const STATE_ORDER = {ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2};
const LIST_POLL_MS = 2000;
const DETAIL_POLL_MS = 5000;

// Kept across visits of the page (not across reloads).
const listFilter = {state: '', name: ''};

export const alarmHref = (name) => `#/alarms/${encodeURIComponent(name)}`;

const since = (alarm) => alarm.stateTransitioned ?? alarm.stateUpdated;

function metricText(alarm) {
  const dims = (alarm.dimensions ?? []).map((d) => `${d.name}=${d.value}`).join(', ');
  return `${alarm.namespace} / ${alarm.metricName}${dims ? ` (${dims})` : ''}`;
}

const MISSING = {
  breaching: 'breaching', notBreaching: 'not breaching', ignore: 'ignored (state kept)', missing: 'missing',
};

// The server sends the sentence; this is only the fallback for an older one.
export function describeAlarm(a) {
  const op = OPERATOR_SYMBOL[a.comparisonOperator] ?? a.comparisonOperator;
  const m = a.datapointsToAlarm ?? a.evaluationPeriods;
  return `ALARM when ${a.statistic} ${op} ${fmtNum(a.threshold)} for ${m} of ${a.evaluationPeriods} ` +
      `periods of ${fmtPeriod(a.period)}; missing data = ${MISSING[a.treatMissingData ?? 'missing'] ?? a.treatMissingData}`;
}

// ---- the list ----

// Kept across visits of the page (not across reloads), like the filter.
const listOrder = {column: 0, descending: false};
const compositeOrder = {column: 0, descending: false};

const byName = (a, b) => a.name.localeCompare(b.name);

// The columns both lists share, then each one's own.
const LEADING_COLUMNS = [
  {label: 'State', key: (a) => STATE_ORDER[a.state] ?? 9},
  {label: 'Name', key: (a) => a.name},
  {label: 'In state for', key: (a) => -Date.parse(since(a))},  // ascending: the newest state first
  {label: 'Reason', key: (a) => a.stateReason ?? ''},
];
const ALARM_COLUMNS = [...LEADING_COLUMNS, {label: 'Metric', key: metricText}, {label: 'Last 3 hours'}];
const COMPOSITE_COLUMNS = [...LEADING_COLUMNS, {label: 'Rule', key: (c) => c.rule ?? ''}];

const conditionText = (a) => `${a.statistic} per ${fmtPeriod(a.period)} ` +
    `${OPERATOR_SYMBOL[a.comparisonOperator] ?? a.comparisonOperator} ${fmtNum(a.threshold)}`;

// Text kept to one line (an ellipsis where it does not fit, the whole text
// as its tooltip); the row's disclosure shows it whole.
const oneLine = (title, ...children) => h('div', {class: 'one-line', title}, children);

export function alarmsPage(main) {
  const counts = {};
  const stateInputs = {};
  const stateFieldset = h('fieldset', {class: 'segmented'}, h('legend', null, 'State'));
  for (const value of ['', ...STATES]) {
    const id = `state-${value || 'all'}`;
    const input = h('input', {type: 'radio', name: 'state', id, value, checked: listFilter.state === value});
    counts[value] = h('span', {class: 'count'});
    stateInputs[value] = input;
    input.addEventListener('change', () => {
      listFilter.state = value;
      render();
    });
    stateFieldset.append(input, h('label', {for: id}, value === '' ? 'All' : stateBadge(value), ' ', counts[value]));
  }
  const nameInput = h('input', {type: 'search', id: 'alarm-filter', value: listFilter.name,
    placeholder: 'part of the name', autocomplete: 'off', spellcheck: 'false'});
  nameInput.addEventListener('input', debounce(() => {
    listFilter.name = nameInput.value;
    render();
  }, 100));

  const alarmList = sortedList('alarm', ALARM_COLUMNS, listOrder, (a) => [
    h('td', {class: 'metric'}, oneLine(`${metricText(a)}: ${conditionText(a)}`,
        metricText(a), h('span', {class: 'sub'}, ` · ${conditionText(a)}`))),
    h('td', {class: 'spark'}, sparkline(a.sparkline, {
      threshold: a.threshold, comparisonOperator: a.comparisonOperator, label: `${a.statistic} of ${a.metricName}`,
    })),
  ]);
  // Composite alarms watch other alarms: their own table, hidden while there are none.
  const compositeList = sortedList('composite', COMPOSITE_COLUMNS, compositeOrder,
      (c) => h('td', {class: 'rule'}, oneLine(c.rule, h('code', null, c.rule))));
  const compositeSection = h('section', {class: 'composites', hidden: true, 'aria-labelledby': 'composites-title'},
      h('h2', {id: 'composites-title'}, 'Composite alarms'), compositeList.element);
  const status = h('p', {class: 'live', role: 'status'});
  const announcer = h('p', {class: 'visually-hidden', 'aria-live': 'assertive'});
  const emptyNote = h('div');
  main.append(
      h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Alarms'), status,
          h('a', {class: 'button primary', id: 'create-alarm', href: '#/alarms?create'}, 'Create alarm')),
      h('div', {class: 'toolbar'}, stateFieldset,
          h('div', {class: 'field'}, h('label', {for: 'alarm-filter'}, 'Name'), nameInput)),
      alarmList.element, emptyNote, compositeSection, announcer);

  let alarms = null;
  let composites = [];
  let lastStates = null;
  const expanded = new Set();  // names whose row shows its text whole

  // One row of either list: the state, the name, how long, the reason
  // (one line; the disclosure or a click on it shows it whole), and `rest`.
  function alarmRow(a, kind, rest) {
    const durationCell = h('td', {class: 'duration'});
    const tr = h('tr', {[`data-${kind}`]: a.name, 'data-state': a.state, class: expanded.has(a.name) ? 'expanded' : null});
    const disclosure = h('button', {type: 'button', class: 'disclosure', 'aria-expanded': String(expanded.has(a.name)),
      'aria-label': `the whole text of ${a.name}`, title: 'Show the whole text'});
    const flip = () => {
      const open = !expanded.has(a.name);
      if (open) expanded.add(a.name); else expanded.delete(a.name);
      tr.classList.toggle('expanded', open);
      disclosure.setAttribute('aria-expanded', String(open));
    };
    disclosure.addEventListener('click', flip);
    const reason = oneLine(a.stateReason ?? '', a.stateReason ?? '');
    reason.addEventListener('click', () => {
      if (!window.getSelection()?.toString()) flip();
    });
    append(tr, [
        h('td', {class: 'state-cell'}, stateBadge(a.state)),
        h('th', {scope: 'row', class: 'name', title: a.description || null},
            h('a', {href: alarmHref(a.name)}, a.name),
            a.actionsEnabled === false ? [' ', chip('actions disabled', 'wait')] : null,
            a.actionsSuppressedBy ? [' ', h('span', {class: 'suppressed'}, chip(a.actionsSuppressedReason, 'wait'))] : null,
            a.mutedUntil ? [' ', mutedChip(a)] : null,
            a.description ? h('div', {class: 'sub description'}, a.description) : null),
        durationCell,
        h('td', {class: 'reason'}, h('div', {class: 'disclosing'}, disclosure, reason)),
        rest]);
    return {tr, durationCell, alarm: a};
  }

  // The row of `a`, rebuilt only when the alarm changed; the focus stays on it.
  function cachedRow(list, a) {
    const signature = JSON.stringify(a);
    const old = list.rows.get(a.name);
    if (old && old.signature === signature) return old;
    const row = {...alarmRow(a, list.kind, list.rest(a)), signature};
    labelCells(row.tr, list.columns.map((c) => c.label));
    if (old?.tr.contains(document.activeElement)) {
      const focused = document.activeElement.matches('.disclosure') ? '.disclosure' : 'a';
      old.tr.replaceWith(row.tr);
      row.tr.querySelector(focused)?.focus();
    }
    list.rows.set(a.name, row);
    return row;
  }

  function tick() {
    for (const row of [...alarmList.rows.values(), ...compositeList.rows.values()]) {
      const at = Date.parse(since(row.alarm));
      row.durationCell.textContent = fmtDuration(now() - at);
      row.durationCell.title = `since ${fmtTime(since(row.alarm))} ${timeZoneLabel()}`;
    }
  }

  // Shows `shown` (those of `all` that pass the filter) in the list's order.
  function fill(list, all, shown) {
    const live = new Set(all.map((a) => a.name));
    for (const name of list.rows.keys()) if (!live.has(name)) list.rows.delete(name);
    const trs = [...shown].sort(list.compare).map((a) => cachedRow(list, a).tr);
    const body = list.tbody;
    const same = trs.length === body.children.length && trs.every((tr, i) => body.children[i] === tr);
    if (!same) body.replaceChildren(...trs);
  }

  function render() {
    if (!alarms) return;
    for (const value of ['', ...STATES]) {
      counts[value].textContent = `(${value ? alarms.filter((a) => a.state === value).length : alarms.length})`;
    }
    const needle = listFilter.name.trim().toLowerCase();
    const matching = (list) => list
        .filter((a) => !listFilter.state || a.state === listFilter.state)
        .filter((a) => !needle || a.name.toLowerCase().includes(needle));
    const shown = matching(alarms);
    fill(alarmList, alarms, shown);
    const shownComposites = matching(composites);
    fill(compositeList, composites, shownComposites);
    compositeSection.hidden = shownComposites.length === 0;
    tick();
    emptyNote.replaceChildren(alarms.length === 0 ?
      empty('No alarms yet: create one with aws cloudwatch put-metric-alarm, or start the server with --template.') :
      shown.length === 0 ? empty('No alarm matches the filter.') : '');
    const firing = alarms.filter((a) => a.state === 'ALARM').length;
    document.title = `${firing ? `(${firing} in ALARM) ` : ''}Alarms — trailwatch`;
  }

  // A list of alarms of one kind (its rows by name) in a table whose header
  // sorts them; `rest` makes the cells after the reason.
  function sortedList(kind, columns, order, rest) {
    const tbody = h('tbody');
    const head = sortableHead(columns, order, () => render(), byName);
    return {kind, columns, rest, rows: new Map(), tbody, compare: head.compare,
      element: h('div', {class: 'table-wrap'},
          h('table', {class: `alarms sortable${kind === 'composite' ? ' composites' : ''}`}, head.thead, tbody))};
  }

  async function refresh() {
    try {
      const data = await get('alarms');
      setServerNow(data.now);
      alarms = data.alarms ?? [];
      composites = data.composites ?? [];
      const states = new Map(alarms.map((a) => [a.name, a.state]));
      if (lastStates) {
        const changed = alarms.filter((a) => lastStates.has(a.name) && lastStates.get(a.name) !== a.state);
        if (changed.length) announcer.textContent = changed.map((a) => `${a.name} is now ${a.state}.`).join(' ');
      }
      lastStates = states;
      render();
      status.textContent = `Live · updated ${fmtTime(now(), {date: false})} ${timeZoneLabel()}`;
      status.classList.remove('stale');
    } catch (err) {
      if (err.status === 401) return;
      status.textContent = `Not updated: ${err.message} (retrying)`;
      status.classList.add('stale');
    }
  }

  const stopPolling = poll(refresh, LIST_POLL_MS);
  const ticker = setInterval(tick, 1000);
  return () => {
    stopPolling();
    clearInterval(ticker);
  };
}

// ---- the detail ----

const RANGES = [['1h', '1 h'], ['6h', '6 h'], ['1d', '1 d'], ['1w', '1 w'], ['custom', 'Custom']];

export function alarmDetailPage(main, name, query) {
  let range = RANGES.some(([r]) => r === query.get('range')) ? query.get('range') : '1h';
  let start = query.get('start');
  let end = query.get('end');

  const heading = h('h1', {tabindex: -1}, name);
  const stateHolder = h('span', {class: 'head-state'});
  const status = h('p', {class: 'live', role: 'status'});
  const overview = h('div');
  const graphBox = h('div', {class: 'graph'});
  const evidenceBox = h('div');
  const historyBox = h('div');
  const silencingBox = h('div');
  const controlsBox = h('div');

  const rangeButtons = RANGES.map(([value, label]) => h('button', {
    type: 'button', 'aria-pressed': String(range === value), 'data-range': value,
    onclick: () => {
      range = value;
      if (value === 'custom') {
        if (!startInput.value) startInput.value = toDatetimeLocal(now() - 3 * 3600e3);
        // The inputs have minute precision and the end is exclusive: end at the
        // next minute so that the current minute's datapoints stay in range.
        if (!endInput.value) endInput.value = toDatetimeLocal(Math.floor(now() / 60e3) * 60e3 + 60e3);
        start = fromDatetimeLocal(startInput.value);
        end = fromDatetimeLocal(endInput.value);
      }
      changed();
    },
  }, label));
  const startInput = h('input', {type: 'datetime-local', id: 'range-start', value: start ? toDatetimeLocal(start) : null});
  const endInput = h('input', {type: 'datetime-local', id: 'range-end', value: end ? toDatetimeLocal(end) : null});
  const customForm = h('form', {class: 'custom-range', hidden: range !== 'custom'},
      h('label', {for: 'range-start'}, 'From'), startInput,
      h('label', {for: 'range-end'}, 'to'), endInput,
      h('span', {class: 'muted'}, timeZoneLabel()),
      h('button', {type: 'submit'}, 'Apply'));
  customForm.addEventListener('submit', (e) => {
    e.preventDefault();
    start = fromDatetimeLocal(startInput.value);
    end = fromDatetimeLocal(endInput.value);
    changed();
  });

  // A composite alarm has no metric and no evidence of its own: the page
  // hides those sections when the server answers with a composite.
  const metricSection = section('Metric',
      h('div', {class: 'toolbar'},
          h('div', {class: 'segmented buttons', role: 'group', 'aria-label': 'Time range'}, rangeButtons),
          customForm),
      graphBox);
  const evidenceSection = section('Evidence', evidenceBox);
  main.append(
      h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/alarms'}, 'Alarms'), ' › ', name),
      h('div', {class: 'page-head'}, heading, stateHolder, status),
      controlsBox,
      overview,
      section('Notifications', silencingBox),
      metricSection,
      evidenceSection,
      section('History', historyBox));

  const shown = {};  // part -> the JSON it was last drawn from
  const openEvidence = new Set();
  let sequence = 0;
  let stopPolling = () => {};

  function path() {
    const params = new URLSearchParams({range});
    if (range === 'custom') {
      if (start) params.set('start', start);
      if (end) params.set('end', end);
    }
    return params;
  }

  function changed() {
    for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
    customForm.hidden = range !== 'custom';
    history.replaceState(null, '', `#/alarms/${encodeURIComponent(name)}?${path()}`);
    delete shown.graph;
    restart();
  }

  function part(key, value, draw) {
    const json = JSON.stringify(value);
    if (shown[key] === json) return;
    shown[key] = json;
    draw();
  }

  async function refresh() {
    const mine = ++sequence;
    let data;
    try {
      data = await get(`alarms/${encodeURIComponent(name)}?${path()}`);
    } catch (err) {
      if (err.status === 401 || mine !== sequence) return;
      if (err.status === 404) {
        overview.replaceChildren(errorBox(err), h('p', null, h('a', {href: '#/alarms'}, 'All alarms')));
        stateHolder.replaceChildren();
        stopPolling();
        return;
      }
      status.textContent = `Not updated: ${err.message}`;
      status.classList.add('stale');
      return;
    }
    if (mine !== sequence) return;
    const a = data.alarm ?? data.composite;
    metricSection.hidden = evidenceSection.hidden = !data.alarm;
    document.title = `${a.state === 'ALARM' ? '(ALARM) ' : ''}${a.name} — trailwatch`;
    status.textContent = range === 'custom' ? '' : `Live · updated ${fmtTime(Date.now(), {date: false})}`;
    status.classList.remove('stale');
    part('overview', [a, data.description, data.children], () => {
      stateHolder.replaceChildren(stateBadge(a.state));
      overview.replaceChildren(data.composite ? renderCompositeOverview(a, data.children ?? []) :
        renderOverview(a, data.description));
    });
    part('controls', [a.name, a.state, a.actionsEnabled, Boolean(data.composite)], () =>
      controlsBox.replaceChildren(alarmControls(a, {composite: Boolean(data.composite), changed: refresh})));
    part('silencing', [a.arn, a.mutedUntil, a.remindEvery], () =>
      silencingBox.replaceChildren(silencingControls(a, refresh)));
    const inState = overview.querySelector('.in-state');
    if (inState) inState.textContent = fmtDuration(now() - Date.parse(since(a)));
    if (data.alarm) {
      part('graph', data.graph, () => graphBox.replaceChildren(renderGraph(a, data.graph)));
      part('evidence', data.evidence, () => evidenceBox.replaceChildren(renderEvidence(data.evidence, openEvidence)));
    }
    part('history', data.history, () => historyBox.replaceChildren(renderHistory(data.history ?? [])));
  }

  function restart() {
    stopPolling();
    stopPolling = range === 'custom' ? (refresh(), () => {}) : poll(refresh, DETAIL_POLL_MS);
  }
  restart();
  return () => stopPolling();
}

// The Actions facts of an alarm of either kind.
function actionFacts(a) {
  const actions = (label, list) => (list && list.length ?
    h('div', null, h('span', {class: 'muted'}, `${label}: `), list.map((arn, i) => [i ? ', ' : '', h('code', null, arn)])) :
    null);
  const anyActions = [a.alarmActions, a.okActions, a.insufficientDataActions].some((l) => l && l.length);
  return [h('dt', null, 'Actions'), h('dd', null,
      a.actionsEnabled === false ? chip('disabled', 'wait') : null,
      anyActions ? [actions('ALARM', a.alarmActions), actions('OK', a.okActions),
        actions('INSUFFICIENT_DATA', a.insufficientDataActions)] : h('span', {class: 'muted'}, 'none'))];
}

function renderCompositeOverview(c, children) {
  const rows = children.map((child) => h('tr', {'data-child': child.name},
      h('td', null, child.state ? stateBadge(child.state) : chip('deleted', 'bad')),
      h('th', {scope: 'row', class: 'name'}, child.state ? h('a', {href: alarmHref(child.name)}, child.name) : child.name),
      h('td', null, child.kind ?? '—')));
  return h('dl', {class: 'facts'},
      c.description ? [h('dt', null, 'Description'), h('dd', null, c.description)] : null,
      h('dt', null, 'State'), h('dd', null, stateBadge(c.state), ' since ', timeEl(since(c)), ' (',
          h('span', {class: 'in-state'}, fmtDuration(now() - Date.parse(since(c)))), ')'),
      h('dt', null, 'Reason'), h('dd', {class: 'reason'}, c.stateReason ?? ''),
      h('dt', null, 'Rule'), h('dd', {class: 'rule'}, h('code', null, c.rule)),
      h('dt', null, 'Alarms in the rule'), h('dd', null,
          rows.length ? table(['State', 'Alarm', 'Kind'], rows, {class: 'children'}) : h('span', {class: 'muted'}, 'none')),
      actionFacts(c),
      c.actionsSuppressor ? [h('dt', null, 'Suppressor'), h('dd', {class: 'suppressor'},
          h('a', {href: alarmHref(c.actionsSuppressor.replace(/^arn:.*?:alarm:/, ''))}, c.actionsSuppressor),
          ` holds the actions while in ALARM; waits ${fmtDuration(c.actionsSuppressorWaitPeriod * 1000)} ` +
          `for it, and ${fmtDuration(c.actionsSuppressorExtensionPeriod * 1000)} after it`,
          c.actionsSuppressedBy ? [' ', chip(c.actionsSuppressedReason, 'wait')] : null)] : null,
      c.arn ? [h('dt', null, 'ARN'), h('dd', null, h('code', null, c.arn))] : null);
}

function renderOverview(a, description) {
  return h('dl', {class: 'facts'},
      a.description ? [h('dt', null, 'Description'), h('dd', null, a.description)] : null,
      h('dt', null, 'State'), h('dd', null, stateBadge(a.state), ' since ', timeEl(since(a)), ' (',
          h('span', {class: 'in-state'}, fmtDuration(now() - Date.parse(since(a)))), ')'),
      h('dt', null, 'Reason'), h('dd', {class: 'reason'}, a.stateReason ?? ''),
      h('dt', null, 'Condition'), h('dd', {class: 'condition'}, description || describeAlarm(a)),
      h('dt', null, 'Metric'), h('dd', null, metricText(a)),
      actionFacts(a),
      a.arn ? [h('dt', null, 'ARN'), h('dd', null, h('code', null, a.arn))] : null);
}

function renderGraph(a, graph) {
  if (!graph) return empty('No graph.');
  const figure = timeChart(graph, {comparisonOperator: a.comparisonOperator, metricName: a.metricName, unit: a.unit});
  const points = graph.points ?? [];
  const caption = h('p', {class: 'muted'},
      `${graph.statistic} of ${a.metricName} per ${fmtPeriod(graph.period)}, ${fmtTime(graph.start)} to ` +
      `${fmtTime(graph.end)} ${timeZoneLabel()}: ${counted(points.length, 'datapoint')}, ` +
      `${points.filter((p) => p.breaching).length} breaching.`);
  const rows = [...points].reverse().map((p) => h('tr', {class: p.breaching ? 'breaching' : null},
      h('td', null, timeEl(p.t)), h('td', {class: 'num'}, fmtNum(p.v)), h('td', null, p.breaching ? 'breaching' : '')));
  const details = h('details', {class: 'datapoints'}, h('summary', null, 'Datapoints as a table'),
      points.length ? table(['Period start', graph.statistic, ''], rows) : empty('None.'));
  return h('div', null, caption, figure, details);
}

function renderEvidence(evidence, open) {
  if (!evidence) return empty('The alarm has not been in ALARM: there is no evidence to show.');
  const events = evidence.events ?? [];
  const intro = h('p', null, 'The events behind the latest ALARM, at ', timeEl(evidence.time), ': ',
      `${events.length} shown of ${evidence.total ?? events.length}.`);
  if (events.length === 0) return h('div', null, intro);
  const rows = [];
  events.forEach((event, i) => {
    const key = `${i}:${event.eventTime}:${event.eventName}`;
    const jsonRow = h('tr', {class: 'json-row', hidden: !open.has(key)},
        h('td', {colspan: 7}, h('pre', {class: 'json'}, prettyJson(event.raw ?? event))));
    const toggle = h('button', {type: 'button', class: 'link', 'aria-expanded': String(open.has(key)),
      'aria-label': `JSON of event ${i + 1}`}, open.has(key) ? 'Hide JSON' : 'JSON');
    const flip = () => {
      const show = jsonRow.hidden;
      jsonRow.hidden = !show;
      toggle.setAttribute('aria-expanded', String(show));
      toggle.textContent = show ? 'Hide JSON' : 'JSON';
      if (show) open.add(key); else open.delete(key);
    };
    toggle.addEventListener('click', (e) => {
      e.stopPropagation();
      flip();
    });
    const tr = h('tr', {class: 'evidence-event clickable'},
        h('td', null, timeEl(event.eventTime)),
        h('td', null, h('strong', null, event.eventName ?? ''), h('div', {class: 'sub'}, event.eventSource ?? '')),
        h('td', {class: 'principal'}, event.principal ?? '—'),
        h('td', {class: 'ip'}, event.sourceIPAddress ?? '—'),
        h('td', null, event.awsRegion ?? ''),
        h('td', null, (event.failure ?? event.errorCode) ? chip(event.failure ?? event.errorCode, 'bad') :
          h('span', {class: 'muted'}, '—')),
        h('td', null, toggle));
    tr.addEventListener('click', () => {
      if (!window.getSelection()?.toString()) flip();
    });
    rows.push(tr, jsonRow);
  });
  return h('div', null, intro,
      table(['Time', 'Event', 'Principal', 'Source IP', 'Region', 'Error', ''], rows, {class: 'evidence'}));
}

function renderHistory(items) {
  if (items.length === 0) return empty('No history yet.');
  const rows = items.map((item) => {
    const summary = h('td', null, item.summary ?? '');
    if (item.deliveries && item.deliveries.length) {
      summary.append(h('ul', {class: 'deliveries'}, item.deliveries.map((d) => h('li', null,
          deliveryChip(d.state), ' ', `${d.protocol} → `, h('code', null, d.endpoint ?? ''),
          `, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
          d.lastDetail ? h('span', {class: 'muted'}, ` — ${d.lastDetail}`) : null))));
    } else if (item.type === 'Action') {
      summary.append(h('div', {class: 'sub'}, 'no deliveries recorded'));
    }
    if (item.data) {
      summary.append(h('details', null, h('summary', null, 'Data'), h('pre', {class: 'json'}, prettyJson(item.data))));
    }
    return h('tr', {'data-type': item.type}, h('td', null, timeEl(item.time)), h('td', null, chip(item.type)), summary);
  });
  return table(['Time', 'Type', 'What happened'], rows, {class: 'history'});
}
