// The console's layout in Chromium at 1440×900 and at 390×844 (a phone):
//
//   - the alarm list is dense: at least 15 rows fully on screen at 1440×900;
//     a long reason stays on one line (its whole text in the title) and its
//     disclosure (click, or Enter from the keyboard) shows it whole; the
//     column headers sort (aria-sort), and the order outlives the 2-s poll;
//     the composite alarms' table sorts the same way;
//   - at 390 px no page scrolls sideways (sign-in, alarms, alarm detail,
//     composite detail, log groups, a log group, topics, replay), and the
//     alarm list is a list of cards whose names have room;
//   - a replay spanning 2015–2019: the time labels of the timeline and of
//     the chart never overlap and are at most 12; an ALARM of five seconds is
//     drawn at least MIN_SPAN_PX (web/chart.js) wide; zooming (the buttons,
//     and a drag across the timeline) changes the range and the ticks, and
//     "Whole replay" brings the first ones back.
//
// Screenshots: <build>/console-screenshots/layout-<page>-desktop|phone.png.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';

import {
  awsClients, BINARY, expectText, launchBrowser, pageWatcher, shot, sidewaysOverflow, signIn, SOURCE_DIR, startServer,
  stopServer, waitFor,
} from './harness.mjs';

const TEMPLATE = path.join(SOURCE_DIR, 'examples', 'iam-policy-change.yaml');
const SEED = 'IAMPolicyChanges';
const GROUP = 'CloudTrail/DefaultLogGroup';
const MIN_SPAN_PX = 4;  // web/chart.js
const DESKTOP = {width: 1440, height: 900};
const PHONE = {width: 390, height: 844};

const ALARMS = Array.from({length: 22}, (_, i) => {
  const n = i + 1;
  const topic = ['RootAccountUsage', 'ConsoleSignInFailures', 'PolicyChanges', 'BucketPolicyChanges'][n % 4];
  return {
    name: `Layout${String(n).padStart(2, '0')}-${topic}`,
    description: `Alarm ${n}: counts ${topic} in the CloudTrail log group; page the on-call engineer when it fires ` +
        'and check the change log for an approved change first.',
    reason: n % 3 === 0 ? `Threshold Crossed: 1 out of the last 1 datapoints [${n}.0 (06/12/26 10:00:00)] was ` +
        `greater than or equal to the threshold (${n}.0) (minimum 1 datapoint for OK -> ALARM transition). ` +
        'Someone changed an IAM policy outside the approved pipeline; see the evidence for who and from where.' : null,
  };
});
const COMPOSITES = ['Zeta-AnyPolicyChange', 'Alpha-RootOrPolicy', 'Mid-SignInStorm'];

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-layout-'));
const replayFile = path.join(scratch, 'five-years.jsonl');
let server;
let browser;
const {problems, watch} = pageWatcher();

// A `replay --json` file (web/replay.js parseReplay) of one alarm from 2015
// to 2019, with a five-second ALARM on 2016-03-14.
function writeReplay() {
  const transition = (time, oldState, newState, value) => ({
    type: 'transition', time, alarmName: 'FiveYears', oldState, newState,
    reason: newState === 'ALARM' ?
      `Threshold Crossed: 1 datapoint [${value}.0] was greater than the threshold (0.0).` :
      'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (0.0).',
    reasonData: {version: '1.0', queryDate: time, statistic: 'Sum', period: 300, threshold: 0,
      evaluatedDatapoints: [{timestamp: time.replace('Z', '.000+0000'), sampleCount: 1, value: value ?? 0}]},
    actions: [], evidence: [], evidenceTotal: 0,
  });
  const lines = [
    transition('2015-01-05T00:00:00Z', 'INSUFFICIENT_DATA', 'OK'),
    transition('2016-03-14T09:00:00Z', 'OK', 'ALARM', 3),
    transition('2016-03-14T09:00:05Z', 'ALARM', 'OK'),
    transition('2017-07-01T12:00:00Z', 'OK', 'ALARM', 7),
    transition('2017-07-03T12:00:00Z', 'ALARM', 'OK'),
    transition('2019-11-20T00:00:00Z', 'OK', 'ALARM', 2),
    transition('2019-11-20T06:00:00Z', 'ALARM', 'OK'),
    {type: 'summary', events: 9, eventsWithoutTime: 0, files: 1, skippedFiles: [],
      alarms: [{alarmName: 'FiveYears', state: 'OK', transitions: 7, matchedEvents: 3, secondsInAlarm: 194405}],
      metrics: [{namespace: 'CloudTrailMetrics', metricName: 'FiveYearsCount', dimensions: {}, samples: 9, sum: 12}]},
  ];
  fs.writeFileSync(replayFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

before(async () => {
  assert.ok(fs.existsSync(BINARY), `no trailwatch binary at ${BINARY} (build it first)`);
  server = await startServer(path.join(scratch, 'data'), ['--template', TEMPLATE]);
  const {cloudwatch, logs} = awsClients(server.base);
  for (const [i, alarm] of ALARMS.entries()) {
    await cloudwatch('PutMetricAlarm', {AlarmName: alarm.name, AlarmDescription: alarm.description,
      Namespace: 'CloudTrailMetrics', MetricName: `LayoutMetric${i + 1}`, Statistic: 'Sum', Period: 300,
      EvaluationPeriods: 1, Threshold: i + 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // Missing data keeps the state SetAlarmState gave: with any other
      // treatment, a minute boundary during the test would replace the
      // reasons the assertions read.
      TreatMissingData: 'ignore'});
    if (alarm.reason) await cloudwatch('SetAlarmState', {AlarmName: alarm.name, StateValue: 'ALARM', StateReason: alarm.reason});
  }
  for (const name of COMPOSITES) {
    await cloudwatch('PutCompositeAlarm', {AlarmName: name, AlarmDescription: `${name}, composed`,
      AlarmRule: `ALARM("${ALARMS[2].name}") OR ALARM("${ALARMS[5].name}") OR ALARM("${ALARMS[8].name}")`});
  }
  // The seed alarm fires its e-mail action: the topic has deliveries, the detail a history.
  await cloudwatch('SetAlarmState', {AlarmName: SEED, StateValue: 'ALARM', StateReason: ALARMS[2].reason});
  const record = JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'examples', 'sample-cloudtrail.json'), 'utf8')).Records[0];
  await logs('CreateLogStream', {logGroupName: GROUP, logStreamName: 'layout'});
  await logs('PutLogEvents', {logGroupName: GROUP, logStreamName: 'layout', logEvents: [
    {timestamp: Date.now(), message: JSON.stringify(record)},
    {timestamp: Date.now() + 1, message: `token-without-spaces-${'x'.repeat(300)}`},
  ]});
  writeReplay();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopServer(server, scratch);
});

async function newPage(viewport) {
  const context = await browser.newContext({viewport, baseURL: server.base});
  return watch(await context.newPage());
}

const alarmRows = (page) => page.locator('table.alarms:not(.composites) tbody tr');
const rowNames = (rows) => rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.alarm ?? tr.dataset.composite));
const sortButton = (page, table, label) => page.locator(`${table} thead button.sort`, {hasText: label});

// The page's status line changes with each poll: wait for the next one.
async function nextPoll(page) {
  const status = page.locator('.page-head .live');
  const before = await status.textContent();
  await expectText(status, new RegExp(`^(?!${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$)Live`));
}

// The boxes of `labels` (a locator) in page order; asserts they are 2..12 and pairwise disjoint.
async function assertTicksApart(labels, what) {
  const boxes = await labels.evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: e.textContent};
  }));
  assert.ok(boxes.length >= 2 && boxes.length <= 12, `${what}: ${boxes.length} labels (${boxes.map((b) => b.text)})`);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
      assert.ok(apart, `${what}: "${a.text}" and "${b.text}" overlap`);
    }
  }
  return boxes.map((b) => b.text);
}

async function assertNoSidewaysScroll(page, what) {
  const overflow = await sidewaysOverflow(page);
  assert.ok(overflow <= 0, `${what} scrolls ${overflow} px sideways`);
}

// Every page, signed out first: each must fit the width; a screenshot of each.
async function visitEveryPage(page, size) {
  await page.goto('/console/');
  await waitFor(page.locator('#signin-form'));
  await assertNoSidewaysScroll(page, 'sign-in');
  await shot(page, `layout-signin-${size}`);
  await signIn(page);
  await waitFor(alarmRows(page).nth(ALARMS.length));
  await waitFor(page.locator('table.composites tbody tr').nth(COMPOSITES.length - 1));
  await assertNoSidewaysScroll(page, 'alarms');
  await shot(page, `layout-alarms-${size}`);

  await page.goto(`/console/#/alarms/${SEED}`);
  await waitFor(page.locator('svg.chart'));
  await waitFor(page.locator('table.history tr[data-type="Action"]'));
  await assertTicksApart(page.locator('svg.chart text.time-tick'), 'the detail graph');
  await assertNoSidewaysScroll(page, 'alarm detail');
  await shot(page, `layout-alarm-detail-${size}`);

  await page.goto(`/console/#/alarms/${COMPOSITES[0]}`);
  await waitFor(page.locator('table.children tbody tr').first());
  await assertNoSidewaysScroll(page, 'composite detail');
  await shot(page, `layout-composite-detail-${size}`);

  await page.goto('/console/#/logs');
  await waitFor(page.locator(`tr[data-group="${GROUP}"]`));
  await assertNoSidewaysScroll(page, 'log groups');
  await shot(page, `layout-log-groups-${size}`);

  await page.goto(`/console/#/logs/${encodeURIComponent(GROUP)}`);
  await waitFor(page.locator('table.filters'));
  await waitFor(page.locator('tr.event').nth(1));
  await assertNoSidewaysScroll(page, 'log group');
  await shot(page, `layout-log-group-${size}`);

  await page.goto('/console/#/topics');
  await waitFor(page.locator('section.topic table.deliveries tbody tr').first());
  await assertNoSidewaysScroll(page, 'topics');
  await shot(page, `layout-topics-${size}`);

  await page.goto('/console/#/replay');
  await page.setInputFiles('#replay-file', replayFile);
  await waitFor(page.locator('section.replay-alarm[data-alarm="FiveYears"] svg.timeline'));
  await assertNoSidewaysScroll(page, 'replay');
  await shot(page, `layout-replay-${size}`);
}

// The replay page with the five-year file loaded: labels apart, the short ALARM seen.
async function checkReplay(page) {
  const alarm = page.locator('section.replay-alarm[data-alarm="FiveYears"]');
  const timelineTicks = alarm.locator('svg.timeline text.time-tick');
  const chartTicks = alarm.locator('svg.chart text.time-tick');
  const first = await assertTicksApart(timelineTicks, 'the timeline');
  assert.ok(first.every((label) => /^\d{4}$/.test(label)), `five years are labelled by year: ${first}`);
  await assertTicksApart(chartTicks, 'the chart');
  const short = alarm.locator('svg.timeline rect.state-alarm', {has: page.locator('title', {hasText: 'from 2016-03-14 09:00:00'})});
  const shortBox = await short.boundingBox();
  assert.ok(shortBox.width >= MIN_SPAN_PX, `the 5-s ALARM is ${shortBox.width} px wide`);
  const shading = await alarm.locator('svg.chart rect.alarm-period').evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
  assert.equal(shading.length, 3);
  assert.ok(shading.every((w) => w >= MIN_SPAN_PX), `ALARM shading widths ${shading}`);
  return {alarm, timelineTicks, chartTicks, first, short};
}

let desktop;

test('the alarm list at 1440×900: dense, one-line reasons, sortable', async () => {
  desktop = await newPage(DESKTOP);
  await visitEveryPage(desktop, 'desktop');
  await desktop.goto('/console/#/alarms');
  const rows = alarmRows(desktop);
  await waitFor(rows.nth(ALARMS.length));

  const visible = await rows.evaluateAll((trs) => trs.filter((tr) => {
    const r = tr.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  }).length);
  assert.ok(visible >= 15, `${visible} alarm rows fully on screen at 1440×900`);

  // A long reason: one line, the whole text as its title.
  const firing = ALARMS[2];
  const row = desktop.locator(`tr[data-alarm="${firing.name}"]`);
  const reason = row.locator('td.reason .one-line');
  const measure = () => reason.evaluate((e) => ({
    height: e.getBoundingClientRect().height, line: parseFloat(getComputedStyle(e).lineHeight),
    cut: e.scrollWidth > e.clientWidth, title: e.title, text: e.textContent,
  }));
  const closed = await measure();
  assert.ok(closed.height <= closed.line * 1.2, `the reason is ${closed.height} px high, a line is ${closed.line}`);
  assert.equal(closed.cut, true, 'the long reason is cut with an ellipsis');
  assert.equal(closed.title, firing.reason);
  assert.equal(closed.text, firing.reason);

  // The disclosure shows it whole; again hides it.
  const disclosure = row.locator('button.disclosure');
  assert.equal(await disclosure.getAttribute('aria-expanded'), 'false');
  await disclosure.click();
  assert.equal(await disclosure.getAttribute('aria-expanded'), 'true');
  const open = await measure();
  assert.ok(open.height >= open.line * 2, `the expanded reason is ${open.height} px high`);
  assert.equal(open.cut, false, 'the expanded reason is whole');
  assert.equal(await row.locator('.description').isVisible(), true, 'the description shows in the expanded row');
  await disclosure.click();
  assert.equal((await measure()).height <= closed.line * 1.2, true);

  // From the keyboard: Enter on another row's disclosure; a click on a reason.
  const other = desktop.locator(`tr[data-alarm="${ALARMS[5].name}"]`);
  await other.locator('button.disclosure').focus();
  await desktop.keyboard.press('Enter');
  assert.equal(await other.locator('button.disclosure').getAttribute('aria-expanded'), 'true');
  assert.equal(await other.evaluate((tr) => tr.classList.contains('expanded')), true);
  await nextPoll(desktop);
  assert.equal(await other.locator('button.disclosure').getAttribute('aria-expanded'), 'true', 'still open after a poll');
  await other.locator('button.disclosure').press('Enter');
  assert.equal(await other.locator('button.disclosure').getAttribute('aria-expanded'), 'false');
  await row.locator('td.reason .one-line').click();
  assert.equal(await disclosure.getAttribute('aria-expanded'), 'true');
  await row.locator('td.reason .one-line').click();

  // Sorting: by state first (ALARM on top), then by name both ways, kept across a poll.
  const names = ALARMS.map((a) => a.name).concat(SEED);
  const stateTh = desktop.locator('table.alarms:not(.composites) thead th').first();
  assert.equal(await stateTh.getAttribute('aria-sort'), 'ascending');
  const states = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.state));
  const rank = {ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2};
  assert.deepEqual(states, [...states].sort((a, b) => rank[a] - rank[b]), 'ALARM first');
  assert.equal(states[0], 'ALARM');

  const byName = sortButton(desktop, 'table.alarms:not(.composites)', 'Name');
  await byName.click();
  const nameTh = byName.locator('xpath=..');
  assert.equal(await nameTh.getAttribute('aria-sort'), 'ascending');
  assert.equal(await stateTh.getAttribute('aria-sort'), 'none');
  const ascending = [...names].sort((a, b) => a.localeCompare(b));
  assert.deepEqual(await rowNames(rows), ascending);
  await byName.click();
  assert.equal(await nameTh.getAttribute('aria-sort'), 'descending');
  assert.deepEqual(await rowNames(rows), [...ascending].reverse());
  await nextPoll(desktop);
  assert.deepEqual(await rowNames(rows), [...ascending].reverse(), 'the order outlives the poll');
  assert.equal(await nameTh.getAttribute('aria-sort'), 'descending');

  // In state for: the newest state first, as the API's times say. The seed
  // alarm's first evaluation (on a minute boundary) may change its time
  // between the API's answer and the page's poll: compare again after a poll.
  const since = (a) => Date.parse(a.stateTransitioned ?? a.stateUpdated);
  const newestFirst = async () => {
    const {alarms} = await desktop.evaluate(() => fetch('/console/api/alarms').then((r) => r.json()));
    return [...alarms].sort((a, b) => since(b) - since(a) || a.name.localeCompare(b.name)).map((a) => a.name);
  };
  await sortButton(desktop, 'table.alarms:not(.composites)', 'In state for').click();
  let expected = await newestFirst();
  if (JSON.stringify(await rowNames(rows)) !== JSON.stringify(expected)) {
    await nextPoll(desktop);
    expected = await newestFirst();
  }
  assert.deepEqual(await rowNames(rows), expected);
  await shot(desktop, 'layout-alarms-sorted-desktop');

  // The composite alarms' table sorts by itself.
  const composites = desktop.locator('table.composites tbody tr');
  const compositeName = sortButton(desktop, 'table.composites', 'Name');
  await compositeName.click();
  assert.deepEqual(await rowNames(composites), [...COMPOSITES].sort());
  assert.equal(await compositeName.locator('xpath=..').getAttribute('aria-sort'), 'ascending');
  await compositeName.click();
  assert.deepEqual(await rowNames(composites), [...COMPOSITES].sort().reverse());
  assert.deepEqual(await rowNames(rows), expected, 'the alarms keep their own order');
});

test('the replay of five years at 1440×900: ticks apart, a short ALARM seen, zoom', async () => {
  await desktop.goto('/console/#/replay');
  await desktop.setInputFiles('#replay-file', replayFile);
  await waitFor(desktop.locator('section.replay-alarm svg.timeline'));
  const {alarm, timelineTicks, chartTicks, first, short} = await checkReplay(desktop);
  const range = alarm.locator('.zoom-range');
  const wholeRange = await range.textContent();
  assert.match(wholeRange, /the whole replay/);

  await alarm.getByRole('button', {name: 'Zoom in'}).click();
  const halved = await range.textContent();
  assert.notEqual(halved, wholeRange);
  const zoomedTicks = await assertTicksApart(timelineTicks, 'the timeline zoomed in');
  assert.notDeepEqual(zoomedTicks, first);
  await assertTicksApart(chartTicks, 'the chart zoomed in');

  // A drag across the timeline around the short ALARM zooms to days or hours.
  const box = await short.boundingBox();
  const y = box.y + box.height / 2;
  await desktop.mouse.move(box.x - 6, y);
  await desktop.mouse.down();
  await desktop.mouse.move(box.x + box.width + 6, y, {steps: 4});
  await desktop.mouse.up();
  await expectText(range, /^2016-03-/);
  const close = await assertTicksApart(timelineTicks, 'the timeline after a drag');
  assert.ok(close.every((label) => /^\d\d-\d\d( \d\d:\d\d)?$|^\d\d:\d\d(:\d\d)?$/.test(label)), `days or hours: ${close}`);
  assert.ok((await short.boundingBox()).width >= MIN_SPAN_PX, 'the short ALARM is still seen');
  await assertTicksApart(chartTicks, 'the chart after a drag');
  await shot(desktop, 'layout-replay-zoomed-desktop');

  await alarm.getByRole('button', {name: 'Show the whole replay'}).click();
  assert.equal(await range.textContent(), wholeRange);
  assert.deepEqual(await timelineTicks.allTextContents(), first);
});

test('at 390×844 nothing scrolls sideways; the alarms are cards', async () => {
  const phone = await newPage(PHONE);
  await visitEveryPage(phone, 'phone');
  await checkReplay(phone);

  await phone.goto('/console/#/alarms');
  const rows = alarmRows(phone);
  await waitFor(rows.nth(ALARMS.length));
  const card = await rows.first().evaluate((tr) => ({
    display: getComputedStyle(tr).display, name: tr.querySelector('.name').getBoundingClientRect().width,
    label: getComputedStyle(tr.querySelector('td.duration'), '::before').content,
  }));
  assert.ok(['block', 'grid'].includes(card.display), `a row is displayed as ${card.display}`);
  assert.ok(card.name > 150, `the name has ${card.name} px`);
  assert.equal(card.label, '"In state for"');
  // The sort buttons stay on the phone.
  await sortButton(phone, 'table.alarms:not(.composites)', 'Name').click();
  assert.deepEqual(await rowNames(rows), ALARMS.map((a) => a.name).concat(SEED).sort((a, b) => a.localeCompare(b)));
  await assertNoSidewaysScroll(phone, 'alarms sorted');
});

test('no CSP violation and no script error', () => {
  assert.deepEqual(problems, []);
});
