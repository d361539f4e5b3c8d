// A replay result file (`trailwatch replay --json` output) read in the
// browser: per alarm, the state timeline, the evaluated datapoints against
// the threshold, and each transition with its evidence. Nothing is sent to
// the server.

import {stateTimeline, timeChart} from './chart.js';
import {
  chip, empty, errorBox, fmtDuration, fmtNum, fmtTime, h, section, stateBadge, table, timeEl, timeZoneLabel,
} from './ui.js';

const MIN_VIEW_MS = 10e3;  // the closest zoom: ten seconds across

let loaded = null;  // {name, transitions, summary}; survives leaving the page

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// "2024-03-14T09:13:00.000+0000" (CloudWatch's reasonData form) -> ISO.
const isoOf = (t) => String(t).replace(/([+-]\d\d)(\d\d)$/, '$1:$2');

export function parseReplay(text) {
  const transitions = [];
  let summary = null;
  const trimmed = text.trim();
  const records = trimmed.startsWith('[') ? JSON.parse(trimmed) :
    trimmed.split('\n').filter((l) => l.trim()).map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`line ${i + 1} is not JSON`);
      }
    });
  for (const r of records) {
    if (r?.type === 'transition') transitions.push(r);
    else if (r?.type === 'summary') summary = r;
  }
  if (transitions.length === 0 && !summary) throw new Error('no "transition" or "summary" records: is this replay --json output?');
  return {transitions, summary};
}

// The comparison, read back from the reason ("was [not] greater than or equal to the threshold").
function operatorOf(reason) {
  const m = /was (?:not )?(greater|less) than( or equal to)? the threshold/.exec(reason ?? '');
  if (!m) return null;
  return `${m[1] === 'greater' ? 'GreaterThan' : 'LessThan'}${m[2] ? 'OrEqualTo' : ''}Threshold`;
}

function alarmView(name, transitions) {
  const times = transitions.map((t) => Date.parse(t.time));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const period = (transitions.find((t) => t.reasonData?.period)?.reasonData.period ?? 300) * 1000;
  const margin = Math.max((last - first) * 0.08, 3 * period);
  const start = first - margin;
  const end = last + margin;
  const segments = [];
  let state = transitions[0].oldState ?? 'INSUFFICIENT_DATA';
  let at = start;
  transitions.forEach((t, i) => {
    segments.push({start: at, end: times[i], state});
    state = t.newState;
    at = times[i];
  });
  segments.push({start: at, end, state});

  const threshold = transitions.find((t) => Number.isFinite(t.reasonData?.threshold))?.reasonData.threshold;
  const operator = transitions.map((t) => operatorOf(t.reason)).find(Boolean);
  const byTime = new Map();
  for (const t of transitions) {
    for (const p of t.reasonData?.evaluatedDatapoints ?? []) {
      if (Number.isFinite(p.value)) byTime.set(Date.parse(isoOf(p.timestamp)), p.value);
    }
  }
  const graph = {
    start: new Date(start).toISOString(), end: new Date(end).toISOString(), period: period / 1000,
    statistic: transitions.find((t) => t.reasonData?.statistic)?.reasonData.statistic ?? 'value',
    threshold, points: [...byTime].map(([t, v]) => ({t, v})),
    alarmPeriods: segments.filter((s) => s.state === 'ALARM').map((s) => ({start: s.start, end: s.end})),
  };
  const inAlarm = segments.filter((s) => s.state === 'ALARM').reduce((n, s) => n + (s.end - s.start), 0);

  const rows = [];
  transitions.forEach((t, i) => {
    const evidence = t.evidence ?? [];
    const detailRow = h('tr', {class: 'json-row', hidden: true}, h('td', {colspan: 5}, evidence.length ?
      table(['Time', 'Event', 'Principal', 'Source IP', 'Error'], evidence.map((e) => h('tr', null,
          h('td', null, timeEl(e.eventTime)), h('td', null, e.eventName ?? ''),
          h('td', {class: 'principal'}, e.principal ?? '—'), h('td', {class: 'ip'}, e.sourceIPAddress ?? '—'),
          h('td', null, (e.failure ?? e.errorCode) ? chip(e.failure ?? e.errorCode, 'bad') : '—')))) :
        empty('No evidence events.')));
    const button = h('button', {type: 'button', class: 'link', 'aria-expanded': 'false',
      'aria-label': `evidence of transition ${i + 1}`}, plural(t.evidenceTotal ?? evidence.length, 'event'));
    button.addEventListener('click', () => {
      detailRow.hidden = !detailRow.hidden;
      button.setAttribute('aria-expanded', String(!detailRow.hidden));
    });
    rows.push(h('tr', {'data-state': t.newState}, h('td', null, timeEl(t.time)),
        h('td', null, stateBadge(t.oldState), ' → ', stateBadge(t.newState)),
        h('td', {class: 'reason'}, t.reason ?? ''),
        h('td', null, (t.actions ?? []).length ? t.actions.map((a) => h('div', null, h('code', {class: 'small'}, a))) : '—'),
        h('td', null, button)), detailRow);
  });

  const view = zoomable(start, end, (from, to, widths) => [
    stateTimeline(from, to, segments, {width: widths[0], onSelect: (a, b) => view.zoomTo(a, b)}),
    h('h3', null, 'Evaluated datapoints'),
    timeChart({...graph, start: new Date(from).toISOString(), end: new Date(to).toISOString()},
        {comparisonOperator: operator, width: widths[2]}),
  ]);

  return h('section', {class: 'panel replay-alarm', 'data-alarm': name, 'aria-label': name},
      h('h2', null, name),
      h('p', null, `${plural(transitions.length, 'transition')}; ${fmtDuration(inAlarm)} in ALARM; ends `, stateBadge(state)),
      view.element,
      h('h3', null, 'Transitions'),
      table(['Time', 'Change', 'Reason', 'Actions', 'Evidence'], rows, {class: 'transitions'}));
}

// A view of [start, end] that zooms: "+" and "−" halve and double the span
// around its middle, dragging across the timeline selects a range, "Whole
// replay" goes back. `draw(from, to, widths)` makes the view's content for a
// range (`widths`: those of the content it replaces, so a redraw starts at
// the right size).
function zoomable(start, end, draw) {
  let from = start;
  let to = end;
  const content = h('div', {class: 'zoom-content'});
  const range = h('span', {class: 'zoom-range', 'aria-live': 'polite'});
  const button = (label, text, onclick) => h('button', {type: 'button', 'aria-label': label, onclick}, text);
  const zoomIn = button('Zoom in', '+', () => around(0.5));
  const zoomOut = button('Zoom out', '−', () => around(2));
  const reset = button('Show the whole replay', 'Whole replay', () => zoomTo(start, end));
  const element = h('div', {class: 'zoomable'},
      h('div', {class: 'zoom-bar'}, h('div', {class: 'segmented buttons', role: 'group', 'aria-label': 'Zoom'},
          zoomIn, zoomOut, reset), range,
      h('span', {class: 'muted small'}, 'Drag across the timeline to zoom to a range.')),
      content);

  function around(factor) {
    const middle = (from + to) / 2;
    const half = ((to - from) * factor) / 2;
    zoomTo(middle - half, middle + half);
  }
  // Shows [a, b] (at least MIN_VIEW_MS, kept inside the replay).
  function zoomTo(a, b) {
    const span = Math.min(end - start, Math.max(MIN_VIEW_MS, b - a));
    const middle = (a + b) / 2;
    from = Math.max(start, Math.min(end - span, middle - span / 2));
    to = from + span;
    const widths = [...content.children].map((child) => child.clientWidth || undefined);
    content.replaceChildren(...draw(from, to, widths));
    const whole = from <= start && to >= end;
    range.textContent = `${fmtTime(from)} – ${fmtTime(to)} ${timeZoneLabel()}${whole ? ' (the whole replay)' : ''}`;
    zoomIn.disabled = span <= MIN_VIEW_MS;
    zoomOut.disabled = reset.disabled = whole;
  }
  zoomTo(start, end);
  return {element, zoomTo};
}

function summaryView(summary) {
  if (!summary) return null;
  return section('Summary',
      h('p', null, `${plural(summary.events, 'event')} from ${plural(summary.files, 'file')}` +
          `${summary.eventsWithoutTime ? `, ${summary.eventsWithoutTime} without a time` : ''}.`,
      (summary.skippedFiles ?? []).length ? ` Skipped: ${summary.skippedFiles.map((f) => f.path ?? f).join(', ')}.` : ''),
      table(['Alarm', 'Final state', 'Transitions', 'Matched events', 'Time in ALARM'],
          (summary.alarms ?? []).map((a) => h('tr', null, h('th', {scope: 'row'}, a.alarmName),
              h('td', null, stateBadge(a.state)), h('td', {class: 'num'}, a.transitions),
              h('td', {class: 'num'}, a.matchedEvents), h('td', null, fmtDuration((a.secondsInAlarm ?? 0) * 1000))))),
      (summary.metrics ?? []).length ? table(['Metric', 'Samples', 'Sum'], summary.metrics.map((m) => h('tr', null,
          h('td', null, `${m.namespace} / ${m.metricName}`), h('td', {class: 'num'}, fmtNum(m.samples)),
          h('td', {class: 'num'}, fmtNum(m.sum))))) : null);
}

export function replayPage(main) {
  document.title = 'Replay — trailwatch';
  const input = h('input', {type: 'file', id: 'replay-file', accept: '.json,.jsonl,.ndjson,.txt,application/json'});
  const status = h('div', {role: 'status'});
  const results = h('div', {class: 'replay-results'});
  const drop = h('div', {class: 'dropzone'},
      h('label', {for: 'replay-file'}, 'Replay result file'), input,
      h('p', {class: 'muted'}, 'The output of ', h('code', null, 'trailwatch replay --json …'),
          ', read here in the browser (nothing is uploaded). You can also drop the file here.'));
  main.append(h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Replay')), drop, status, results);

  function show() {
    if (!loaded) return;
    const byAlarm = new Map();
    for (const t of loaded.transitions) {
      if (!byAlarm.has(t.alarmName)) byAlarm.set(t.alarmName, []);
      byAlarm.get(t.alarmName).push(t);
    }
    for (const list of byAlarm.values()) list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    // Alarms that went to ALARM first.
    const names = [...byAlarm.keys()].sort((a, b) =>
      Number(byAlarm.get(b).some((t) => t.newState === 'ALARM')) - Number(byAlarm.get(a).some((t) => t.newState === 'ALARM')) ||
      a.localeCompare(b));
    status.replaceChildren(h('p', null, `${loaded.name}: ${plural(loaded.transitions.length, 'transition')} of ${plural(byAlarm.size, 'alarm')}.`));
    results.replaceChildren(summaryView(loaded.summary) ?? '', ...names.map((n) => alarmView(n, byAlarm.get(n))));
  }

  async function load(file) {
    try {
      loaded = {name: file.name, ...parseReplay(await file.text())};
      show();
    } catch (err) {
      status.replaceChildren(errorBox(`${file.name}: ${err.message}`));
    }
  }
  input.addEventListener('change', () => input.files[0] && load(input.files[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) load(e.dataTransfer.files[0]);
  });
  show();
}
