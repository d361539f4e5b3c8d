// SVG charts drawn by hand: the alarms' sparklines, the detail graph (series,
// threshold line, breaching datapoints, ALARM periods shaded) and the state
// timeline of a replay. Colours come from style.css through classes, so the
// charts follow the theme and need no inline styles.

import {counted, fmtNum, fmtTime, h, s, utc} from './ui.js';

const MINUTE = 60e3;
const TICK_STEPS = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * MINUTE);

let chartCount = 0;
const ms = (t) => (typeof t === 'number' ? t : Date.parse(t));

export function breaches(value, threshold, operator) {
  switch (operator) {
    case 'GreaterThanThreshold': return value > threshold;
    case 'GreaterThanOrEqualToThreshold': return value >= threshold;
    case 'LessThanThreshold': return value < threshold;
    case 'LessThanOrEqualToThreshold': return value <= threshold;
    default: return false;
  }
}

export const OPERATOR_SYMBOL = {
  GreaterThanThreshold: '>', GreaterThanOrEqualToThreshold: '≥',
  LessThanThreshold: '<', LessThanOrEqualToThreshold: '≤',
  LessThanLowerOrGreaterThanUpperThreshold: 'outside', LessThanLowerThreshold: '<',
  GreaterThanUpperThreshold: '>',
};

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

// [lo, hi] covering the values and the threshold, from 0 for non-negative
// data, rounded out to `count` nice steps.
function valueDomain(values, threshold, count) {
  const all = values.filter(Number.isFinite);
  if (Number.isFinite(threshold)) all.push(threshold);
  let lo = Math.min(0, ...all);
  let hi = Math.max(...all, lo);
  if (hi === lo) hi = lo + 1;
  const step = niceStep(hi - lo, count);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return {lo, hi, ticks};
}

function timeTicks(t0, t1, maxTicks) {
  const span = t1 - t0;
  const step = TICK_STEPS.find((x) => span / x <= maxTicks) ?? TICK_STEPS[TICK_STEPS.length - 1];
  // Align ticks to the displayed time zone: 00:00 falls on a tick.
  const offset = utc() ? 0 : -new Date(t0).getTimezoneOffset() * MINUTE;
  const ticks = [];
  for (let t = Math.ceil((t0 + offset) / step) * step - offset; t <= t1; t += step) ticks.push(t);
  return {ticks, withDate: span > 1440 * MINUTE || step >= 1440 * MINUTE};
}

function tickLabel(t, withDate) {
  const full = fmtTime(t, {seconds: false});
  return withDate ? full.slice(5) : full.slice(11);
}

// Points joined by a line while they are one period apart; gaps stay gaps.
function seriesPath(points, x, y, periodMs) {
  let d = '';
  let prev = null;
  for (const p of points) {
    const cmd = prev !== null && p.t - prev <= periodMs * 1.01 ? 'L' : 'M';
    d += `${cmd}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    prev = p.t;
  }
  return d;
}

// A 120x28 sparkline of {start, end, points: [{t, v}]}, threshold dashed.
export function sparkline(spark, {threshold, comparisonOperator, label}) {
  const W = 120;
  const H = 28;
  const pad = 3;
  const t0 = ms(spark?.start);
  const t1 = ms(spark?.end);
  const points = (spark?.points ?? []).map((p) => ({t: ms(p.t), v: p.v}))
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  const svg = s('svg', {class: 'sparkline', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img'});
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0) {
    svg.setAttribute('aria-label', 'no data');
    return svg;
  }
  const {lo, hi} = valueDomain(points.map((p) => p.v), threshold, 1);
  const x = (t) => pad + ((t - t0) / (t1 - t0)) * (W - 2 * pad);
  const y = (v) => H - pad - ((v - lo) / (hi - lo)) * (H - 2 * pad);
  svg.append(s('line', {class: 'baseline', x1: pad, x2: W - pad, y1: H - pad, y2: H - pad}));
  if (Number.isFinite(threshold)) {
    svg.append(s('line', {class: 'threshold', x1: pad, x2: W - pad, y1: y(threshold), y2: y(threshold)}));
  }
  const gaps = points.length > 1 ? Math.min(...points.slice(1).map((p, i) => p.t - points[i].t)) : 0;
  svg.append(s('path', {class: 'series', d: seriesPath(points, x, y, gaps)}));
  let breaching = 0;
  points.forEach((p, i) => {
    const hit = breaches(p.v, threshold, comparisonOperator);
    breaching += hit ? 1 : 0;
    if (hit || i === points.length - 1) {
      svg.append(s('circle', {class: hit ? 'point breaching' : 'point', cx: x(p.t), cy: y(p.v), r: hit ? 2.5 : 2}));
    }
  });
  const last = points[points.length - 1];
  svg.setAttribute('aria-label', points.length === 0 ? `${label}: no data in the last hours` :
      `${label}: ${counted(points.length, 'datapoint')}, ${breaching} breaching, latest ${fmtNum(last.v)}, ` +
      `highest ${fmtNum(Math.max(...points.map((p) => p.v)))}`);
  svg.append(s('title', null, svg.getAttribute('aria-label')));
  return svg;
}

// The detail graph. `graph` is the API's {start, end, period, statistic,
// threshold, points: [{t, v, breaching}], alarmPeriods: [{start, end}]}.
// Returns a figure holding the SVG and a readout line that follows the
// pointer, or the arrow keys when the graph has focus.
export function timeChart(graph, {comparisonOperator, metricName, unit} = {}) {
  const W = 860;
  const H = 260;
  const m = {left: 52, right: 16, top: 14, bottom: 30};
  const t0 = ms(graph.start);
  const t1 = ms(graph.end);
  const periodMs = (graph.period ?? 60) * 1000;
  const threshold = graph.threshold;
  const points = (graph.points ?? []).map((p) => ({
    t: ms(p.t), v: p.v,
    breaching: typeof p.breaching === 'boolean' ? p.breaching : breaches(p.v, threshold, comparisonOperator),
  })).filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).sort((a, b) => a.t - b.t);

  const {lo, hi, ticks} = valueDomain(points.map((p) => p.v), threshold, 4);
  const x = (t) => m.left + ((t - t0) / (t1 - t0 || 1)) * (W - m.left - m.right);
  const y = (v) => H - m.bottom - ((v - lo) / (hi - lo)) * (H - m.top - m.bottom);
  const left = m.left;
  const right = W - m.right;
  const top = m.top;
  const bottom = H - m.bottom;

  const clipId = `plot-clip-${++chartCount}`;
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', tabindex: 0});
  svg.append(s('defs', null, s('clipPath', {id: clipId},
      s('rect', {x: left, y: top - 6, width: right - left, height: bottom - top + 12}))));

  // ALARM periods first, under everything else.
  const shaded = s('g', {class: 'alarm-periods', 'clip-path': `url(#${clipId})`});
  for (const period of graph.alarmPeriods ?? []) {
    const a = Math.max(t0, ms(period.start));
    const b = Math.min(t1, period.end ? ms(period.end) : t1);
    if (!(b > a)) continue;
    shaded.append(s('rect', {class: 'alarm-period', x: x(a), y: top, width: Math.max(1, x(b) - x(a)),
      height: bottom - top}, s('title', null,
        `ALARM from ${fmtTime(period.start)} to ${period.end ? fmtTime(period.end) : 'now'}`)));
  }
  svg.append(shaded);

  const grid = s('g', {class: 'grid'});
  for (const v of ticks) {
    grid.append(s('line', {x1: left, x2: right, y1: y(v), y2: y(v)}));
    grid.append(s('text', {class: 'tick', x: left - 6, y: y(v) + 4, 'text-anchor': 'end'}, fmtNum(v)));
  }
  const {ticks: tTicks, withDate} = timeTicks(t0, t1, 7);
  for (const t of tTicks) {
    grid.append(s('line', {class: 'vtick', x1: x(t), x2: x(t), y1: bottom, y2: bottom + 4}));
    grid.append(s('text', {class: 'tick', x: x(t), y: bottom + 18, 'text-anchor': 'middle'},
        tickLabel(t, withDate)));
  }
  grid.append(s('line', {class: 'axis', x1: left, x2: right, y1: bottom, y2: bottom}));
  svg.append(grid);

  if (Number.isFinite(threshold)) {
    const ty = y(threshold);
    const symbol = OPERATOR_SYMBOL[comparisonOperator] ?? '';
    svg.append(s('g', {class: 'threshold-group'},
        s('line', {class: 'threshold', x1: left, x2: right, y1: ty, y2: ty, 'data-value': threshold}),
        s('text', {class: 'threshold-label', x: right - 4, y: ty - 5, 'text-anchor': 'end'},
            `threshold ${symbol} ${fmtNum(threshold)}`.replace('  ', ' '))));
  }

  const series = s('g', {class: 'data', 'clip-path': `url(#${clipId})`});
  series.append(s('path', {class: 'series', d: seriesPath(points, x, y, periodMs)}));
  for (const p of points) {
    series.append(s('circle', {
      class: p.breaching ? 'point breaching' : 'point', cx: x(p.t), cy: y(p.v), r: p.breaching ? 4.5 : 3,
      'data-t': new Date(p.t).toISOString(), 'data-v': p.v,
    }, s('title', null, `${fmtTime(p.t)}: ${fmtNum(p.v)}${p.breaching ? ' (breaching)' : ''}`)));
  }
  svg.append(series);

  if (points.length === 0) {
    svg.append(s('text', {class: 'no-data', x: (left + right) / 2, y: (top + bottom) / 2,
      'text-anchor': 'middle'}, 'No datapoints in this range'));
  }

  const cursor = s('g', {class: 'cursor', visibility: 'hidden'},
      s('line', {y1: top, y2: bottom}), s('circle', {r: 6}));
  svg.append(cursor);

  const breachingCount = points.filter((p) => p.breaching).length;
  const name = `${graph.statistic ?? ''} of ${metricName ?? 'the metric'}`.trim();
  svg.setAttribute('aria-label', `${name} per ${graph.period} s from ${fmtTime(t0)} to ${fmtTime(t1)}: ` +
      `${counted(points.length, 'datapoint')}, ${breachingCount} breaching the threshold ${fmtNum(threshold)}, ` +
      `${counted((graph.alarmPeriods ?? []).length, 'ALARM period')}. Arrow keys step through the datapoints.`);

  const readout = h('p', {class: 'readout'}, points.length ?
    'Point at the graph, or focus it and use the arrow keys, to read datapoints.' : '');
  let index = -1;
  const show = (i) => {
    if (i < 0 || i >= points.length) return;
    index = i;
    const p = points[i];
    cursor.setAttribute('visibility', 'visible');
    const [line, dot] = cursor.children;
    line.setAttribute('x1', x(p.t));
    line.setAttribute('x2', x(p.t));
    dot.setAttribute('cx', x(p.t));
    dot.setAttribute('cy', y(p.v));
    readout.textContent = `${fmtTime(p.t)}  ${graph.statistic ?? 'value'} ${fmtNum(p.v)}` +
        `${unit && unit !== 'None' ? ` ${unit}` : ''}${p.breaching ? '  — breaching' : ''}`;
  };
  const nearest = (t) => {
    let best = -1;
    let bestGap = Infinity;
    points.forEach((p, i) => {
      const gap = Math.abs(p.t - t);
      if (gap < bestGap) {
        best = i;
        bestGap = gap;
      }
    });
    return best;
  };
  svg.addEventListener('pointermove', (e) => {
    const box = svg.getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    const t = t0 + ((px - left) / (right - left)) * (t1 - t0);
    show(nearest(t));
  });
  svg.addEventListener('keydown', (e) => {
    if (points.length === 0) return;
    const moves = {ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity};
    if (!(e.key in moves)) return;
    e.preventDefault();
    const step = moves[e.key];
    const next = Number.isFinite(step) ? (index < 0 ? points.length - 1 : index + step) :
      (step < 0 ? 0 : points.length - 1);
    show(Math.max(0, Math.min(points.length - 1, next)));
  });

  const legend = h('ul', {class: 'legend'},
      h('li', null, h('span', {class: 'key key-series', 'aria-hidden': 'true'}), `${graph.statistic ?? 'value'}`),
      h('li', null, h('span', {class: 'key key-breaching', 'aria-hidden': 'true'}), 'breaching datapoint'),
      h('li', null, h('span', {class: 'key key-threshold', 'aria-hidden': 'true'}), 'threshold'),
      h('li', null, h('span', {class: 'key key-alarm', 'aria-hidden': 'true'}), 'in ALARM'));
  return h('figure', {class: 'chart-figure'}, svg, legend, readout);
}

// A band of state segments [{start, end, state}] over [start, end].
export function stateTimeline(start, end, segments) {
  const W = 860;
  const H = 52;
  const left = 8;
  const right = W - 8;
  const t0 = ms(start);
  const t1 = ms(end);
  const x = (t) => left + ((t - t0) / (t1 - t0 || 1)) * (right - left);
  const svg = s('svg', {class: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img'});
  const labels = [];
  for (const seg of segments) {
    const a = Math.max(t0, ms(seg.start));
    const b = Math.min(t1, ms(seg.end));
    if (!(b > a)) continue;
    const cls = `seg state-${seg.state.toLowerCase().replace(/_/g, '-')}`;
    svg.append(s('rect', {class: cls, x: x(a), y: 4, width: Math.max(1, x(b) - x(a)), height: 22},
        s('title', null, `${seg.state} from ${fmtTime(a)} to ${fmtTime(b)}`)));
    labels.push(`${seg.state} ${fmtTime(a)}–${fmtTime(b)}`);
    // The state in words where the segment has room for them.
    const text = x(b) - x(a) > seg.state.length * 7 + 8 ? seg.state : x(b) - x(a) > 20 ? seg.state[0] : '';
    if (text) {
      svg.append(s('text', {class: `seg-label ${cls.slice(4)}`, x: (x(a) + x(b)) / 2, y: 19,
        'text-anchor': 'middle', 'aria-hidden': 'true'}, text));
    }
  }
  const {ticks, withDate} = timeTicks(t0, t1, 6);
  for (const t of ticks) {
    svg.append(s('text', {class: 'tick', x: x(t), y: 44, 'text-anchor': 'middle'}, tickLabel(t, withDate)));
  }
  svg.setAttribute('aria-label', `State over time: ${labels.join('; ')}`);
  return svg;
}
