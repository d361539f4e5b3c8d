// SVG charts drawn by hand: the alarms' sparklines, the detail graph (series,
// threshold line, breaching datapoints, ALARM periods shaded) and the state
// timeline of a replay. Colours come from style.css through classes, so the
// charts follow the theme and need no inline styles.

import {counted, fmtNum, fmtTime, h, s, utc} from './ui.js';

const SECOND = 1e3;
const MINUTE = 60e3;
const HOUR = 3600e3;
const DAY = 86400e3;
const MONTH = 30.44 * DAY;  // only to compare steps; months are stepped on the calendar
const YEAR = 365.25 * DAY;

// Tick steps from seconds to centuries, each with the part of
// "YYYY-MM-DD HH:MM:SS" its labels show ([from, to) of fmtTime's text).
const TICK_STEPS = [
  ...[1, 5, 10, 15, 30].map((n) => ({n, unit: SECOND, label: [11, 19]})),
  ...[1, 5, 10, 15, 30].map((n) => ({n, unit: MINUTE, label: [11, 16]})),
  ...[1, 2, 3, 6, 12].map((n) => ({n, unit: HOUR, label: [11, 16]})),
  ...[1, 2, 7, 14].map((n) => ({n, unit: DAY, label: [5, 10]})),
  ...[1, 2, 3, 6].map((n) => ({n, unit: MONTH, label: [0, 7]})),
  ...[1, 2, 5, 10, 20, 50, 100].map((n) => ({n, unit: YEAR, label: [0, 4]})),
];
const MAX_TICKS = 10;
const TICK_CHAR_PX = 6.6;  // an 11 px digit of the system font, rounded up
const TICK_GAP_PX = 18;

// A drawn span never gets narrower than this (a few seconds of ALARM in a
// five-year replay must still be seen).
export const MIN_SPAN_PX = 4;

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

// The zone's offset from UTC at `t` (0 when the console shows UTC).
const zoneOffset = (t) => (utc() ? 0 : -new Date(t).getTimezoneOffset() * MINUTE);

// Ticks for [t0, t1] drawn `width` px wide: the finest step whose labels
// fit side by side (at most MAX_TICKS), on round values of the displayed
// zone (midnight, the 1st of a month, New Year). Returns the tick times
// and their labels.
function timeTicks(t0, t1, width) {
  const span = t1 - t0;
  const crossesDays = fmtTime(t0).slice(0, 10) !== fmtTime(t1).slice(0, 10);
  const crossesYears = fmtTime(t0).slice(0, 4) !== fmtTime(t1).slice(0, 4);
  // Times of day name their day when the span crosses one; days their year.
  const labelRange = ({unit, label: [from, to]}) =>
    (unit === MINUTE || unit === HOUR) && crossesDays ? [5, to] : unit === DAY && crossesYears ? [0, to] : [from, to];
  const fits = (step) => {
    const [from, to] = labelRange(step);
    const room = Math.min(MAX_TICKS, Math.floor(width / ((to - from) * TICK_CHAR_PX + TICK_GAP_PX)));
    return span / (step.n * step.unit) <= Math.max(1, room - 1);
  };
  const step = TICK_STEPS.find(fits) ?? TICK_STEPS[TICK_STEPS.length - 1];
  // Stepped in wall-clock time written as UTC, so that local midnights and
  // months fall on ticks; back to real time with the zone's offset.
  const wall = (t) => t + zoneOffset(t);
  const real = (w) => w - zoneOffset(w - zoneOffset(w));
  const ticks = [];
  const w0 = wall(t0);
  const w1 = wall(t1);
  if (step.unit === MONTH || step.unit === YEAR) {
    const months = step.unit === YEAR ? 12 * step.n : step.n;
    const monthStart = (m) => Date.UTC(Math.floor(m / 12), m % 12);
    const d = new Date(w0);
    let m = d.getUTCFullYear() * 12 + d.getUTCMonth();
    if (monthStart(m) < w0) m++;
    for (m = Math.ceil(m / months) * months; monthStart(m) <= w1; m += months) ticks.push(real(monthStart(m)));
  } else {
    const size = step.n * step.unit;
    for (let w = Math.ceil(w0 / size) * size; w <= w1; w += size) ticks.push(real(w));
  }
  const [from, to] = labelRange(step);
  return ticks.map((t) => ({t, label: fmtTime(t).slice(from, to)}));
}

// Draws `draw(width)` (an SVG whose units are CSS pixels) into `box` at the
// box's own width, and again whenever that changes: text keeps its size and
// tick labels their spacing from a phone to a wide screen.
function fitToWidth(box, draw, width = 860) {
  let drawn = width;
  box.replaceChildren(draw(width));
  new ResizeObserver(() => {
    const w = Math.round(box.clientWidth);
    if (w > 0 && w !== drawn) {
      drawn = w;
      box.replaceChildren(draw(w));
    }
  }).observe(box);
  return box;
}

// The time axis's labels (each on its tick, never past the drawing's
// edges: one that would be is left out) at height `y` into `group`.
function timeLabels(group, ticks, x, y, width) {
  for (const {t, label} of ticks) {
    const half = (label.length * TICK_CHAR_PX) / 2;
    if (x(t) - half < 0 || x(t) + half > width) continue;
    group.append(s('text', {class: 'tick time-tick', x: x(t), y, 'text-anchor': 'middle'}, label));
  }
}

// [x, width] of the span [xa, xb] drawn at least MIN_SPAN_PX wide, kept in [left, right].
function spanRect(xa, xb, left, right) {
  const width = Math.max(MIN_SPAN_PX, xb - xa);
  const x = Math.min(Math.max(left, (xa + xb) / 2 - width / 2), right - width);
  return [xb - xa >= MIN_SPAN_PX ? xa : x, width];
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
// Returns a figure holding the SVG (drawn at the figure's width) and a
// readout line that follows the pointer, or the arrow keys when the graph
// has focus. `width` is the first drawing's, before the figure is laid out.
export function timeChart(graph, {comparisonOperator, metricName, unit, width} = {}) {
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
  const breachingCount = points.filter((p) => p.breaching).length;
  const name = `${graph.statistic ?? ''} of ${metricName ?? 'the metric'}`.trim();
  const readout = h('p', {class: 'readout'}, points.length ?
    'Point at the graph, or focus it and use the arrow keys, to read datapoints.' : '');
  const clipId = `plot-clip-${++chartCount}`;

  function draw(W) {
    const x = (t) => m.left + ((t - t0) / (t1 - t0 || 1)) * (W - m.left - m.right);
    const y = (v) => H - m.bottom - ((v - lo) / (hi - lo)) * (H - m.top - m.bottom);
    const left = m.left;
    const right = W - m.right;
    const top = m.top;
    const bottom = H - m.bottom;

    const svg = s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', tabindex: 0});
    svg.append(s('defs', null, s('clipPath', {id: clipId},
        s('rect', {x: left, y: top - 6, width: right - left, height: bottom - top + 12}))));

    // ALARM periods first, under everything else.
    const shaded = s('g', {class: 'alarm-periods', 'clip-path': `url(#${clipId})`});
    for (const period of graph.alarmPeriods ?? []) {
      const a = Math.max(t0, ms(period.start));
      const b = Math.min(t1, period.end ? ms(period.end) : t1);
      if (!(b > a)) continue;
      const [xa, wa] = spanRect(x(a), x(b), left, right);
      shaded.append(s('rect', {class: 'alarm-period', x: xa, y: top, width: wa, height: bottom - top}, s('title', null,
          `ALARM from ${fmtTime(period.start)} to ${period.end ? fmtTime(period.end) : 'now'}`)));
    }
    svg.append(shaded);

    const grid = s('g', {class: 'grid'});
    for (const v of ticks) {
      grid.append(s('line', {x1: left, x2: right, y1: y(v), y2: y(v)}));
      grid.append(s('text', {class: 'tick', x: left - 6, y: y(v) + 4, 'text-anchor': 'end'}, fmtNum(v)));
    }
    const times = timeTicks(t0, t1, right - left);
    for (const {t} of times) grid.append(s('line', {class: 'vtick', x1: x(t), x2: x(t), y1: bottom, y2: bottom + 4}));
    timeLabels(grid, times, x, bottom + 18, W);
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

    svg.setAttribute('aria-label', `${name} per ${graph.period} s from ${fmtTime(t0)} to ${fmtTime(t1)}: ` +
        `${counted(points.length, 'datapoint')}, ${breachingCount} breaching the threshold ${fmtNum(threshold)}, ` +
        `${counted((graph.alarmPeriods ?? []).length, 'ALARM period')}. Arrow keys step through the datapoints.`);

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
      show(nearest(t0 + ((px - left) / (right - left)) * (t1 - t0)));
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
    return svg;
  }

  const legend = h('ul', {class: 'legend'},
      h('li', null, h('span', {class: 'key key-series', 'aria-hidden': 'true'}), `${graph.statistic ?? 'value'}`),
      h('li', null, h('span', {class: 'key key-breaching', 'aria-hidden': 'true'}), 'breaching datapoint'),
      h('li', null, h('span', {class: 'key key-threshold', 'aria-hidden': 'true'}), 'threshold'),
      h('li', null, h('span', {class: 'key key-alarm', 'aria-hidden': 'true'}), 'in ALARM'));
  return h('figure', {class: 'chart-figure'}, fitToWidth(h('div', {class: 'plot'}), draw, width), legend, readout);
}

// A band of state segments [{start, end, state}] over [start, end], drawn at
// its box's width; ALARM segments on top and never narrower than
// MIN_SPAN_PX. With `onSelect`, dragging across the band selects a range:
// onSelect(from, to) in ms.
export function stateTimeline(start, end, segments, {onSelect, width} = {}) {
  const H = 52;
  const t0 = ms(start);
  const t1 = ms(end);
  const inView = segments.map((seg) => ({...seg, a: Math.max(t0, ms(seg.start)), b: Math.min(t1, ms(seg.end))}))
      .filter((seg) => seg.b > seg.a);
  const label = `State over time: ${inView.map((seg) => `${seg.state} ${fmtTime(seg.a)}–${fmtTime(seg.b)}`).join('; ')}`;
  const alarmOnTop = [...inView].sort((p, q) => Number(p.state === 'ALARM') - Number(q.state === 'ALARM'));

  function draw(W) {
    const left = 8;
    const right = W - 8;
    const x = (t) => left + ((t - t0) / (t1 - t0 || 1)) * (right - left);
    const svg = s('svg', {class: `timeline${onSelect ? ' selectable' : ''}`, viewBox: `0 0 ${W} ${H}`,
      width: W, height: H, role: 'img', 'aria-label': label});
    for (const seg of alarmOnTop) {
      const cls = `seg state-${seg.state.toLowerCase().replace(/_/g, '-')}`;
      const [xa, wa] = seg.state === 'ALARM' ? spanRect(x(seg.a), x(seg.b), left, right) : [x(seg.a), x(seg.b) - x(seg.a)];
      svg.append(s('rect', {class: cls, x: xa, y: 4, width: wa, height: 22},
          s('title', null, `${seg.state} from ${fmtTime(seg.a)} to ${fmtTime(seg.b)}`)));
      // The state in words where the segment has room for them.
      const text = wa > seg.state.length * 7 + 8 ? seg.state : wa > 20 ? seg.state[0] : '';
      if (text) {
        svg.append(s('text', {class: `seg-label ${cls.slice(4)}`, x: xa + wa / 2, y: 19,
          'text-anchor': 'middle', 'aria-hidden': 'true'}, text));
      }
    }
    timeLabels(svg, timeTicks(t0, t1, right - left), x, 44, W);
    if (onSelect) {
      const time = (px) => t0 + ((px - left) / (right - left)) * (t1 - t0);
      selectable(svg, W, left, right, (xa, xb) => onSelect(time(xa), time(xb)));
    }
    return svg;
  }
  return fitToWidth(h('div', {class: 'timeline-box'}), draw, width);
}

// Dragging across `svg` (W units wide) selects [xa, xb] within [left,
// right]; a drag of less than a few pixels is a click and selects nothing.
function selectable(svg, W, left, right, onSelect) {
  const band = s('rect', {class: 'selection', y: 0, height: 30, width: 0, visibility: 'hidden'});
  svg.append(band);
  let from = null;
  const at = (e) => {
    const box = svg.getBoundingClientRect();
    return Math.max(left, Math.min(right, ((e.clientX - box.left) / box.width) * W));
  };
  svg.addEventListener('pointerdown', (e) => {
    from = at(e);
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (from === null) return;
    const to = at(e);
    band.setAttribute('x', Math.min(from, to));
    band.setAttribute('width', Math.abs(to - from));
    band.setAttribute('visibility', 'visible');
  });
  const finish = (e, select) => {
    if (from === null) return;
    const [xa, xb] = [Math.min(from, at(e)), Math.max(from, at(e))];
    from = null;
    band.setAttribute('visibility', 'hidden');
    if (select && xb - xa >= 4) onSelect(xa, xb);
  };
  svg.addEventListener('pointerup', (e) => finish(e, true));
  svg.addEventListener('pointercancel', (e) => finish(e, false));
}
