// The log group page in a browser: CloudTrail events as a table (time,
// event, principal, source IP, error; the raw JSON on expand), the time
// range, "Load more", and metric filters made from the pattern tester.
//
//   TW_BINARY=build/trailwatch node --test logs_test.mjs     (from tests/console)
//
// Real CloudTrail records (the aws_dataset file console_test.mjs uses, and a
// failed root sign-in from panther-analysis) are put with PutLogEvents at
// times spread over the last five hours, after a plain line six hours ago.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';

import {
  awsClients, expectText, launchBrowser, pageWatcher, SHARED_DIR, shot, sidewaysOverflow, signIn, startServer,
  stopServer, waitFor,
} from './harness.mjs';

const CLOUDTRAIL_FILE = path.join(SHARED_DIR, 'data', 'cloudtrail', 'aws_dataset',
    '218007301253_CloudTrail_us-east-1_20230710T1220Z_ovtmbuX3ENJ119uH.json');
const SIGN_IN_FILE = path.join(SHARED_DIR, 'data', 'cloudtrail', 'panther-analysis',
    'scenario_compromised-root-creds__attacker_cloudtrail.jsonl');
const GROUP = 'CloudTrail/Logs';
const PLAIN_GROUP = 'app/plain';
const MINUTE = 60e3;
const HOUR = 60 * MINUTE;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-logs-'));
const {problems, watch} = pageWatcher();
let server;
let browser;
let logs;

// The records, oldest first, each with how long before the test it happened.
function seedRecords() {
  const records = JSON.parse(fs.readFileSync(CLOUDTRAIL_FILE, 'utf8')).Records;
  const named = (name) => {
    const found = records.find((r) => r.eventName === name);
    assert.ok(found, `the CloudTrail file has a ${name} record`);
    return found;
  };
  const signIn = fs.readFileSync(SIGN_IN_FILE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .find((r) => r.eventName === 'ConsoleLogin' && r.responseElements?.ConsoleLogin === 'Failure' &&
        !r.errorMessage);
  assert.ok(signIn, 'the panther-analysis scenario has a failed ConsoleLogin');
  return [
    [6 * HOUR, 'not CloudTrail: a plain line'],
    [5 * HOUR, named('GetUser')],
    [4 * HOUR, named('DetachRolePolicy')],
    [3 * HOUR, named('DescribeRegions')],
    [2 * HOUR, named('DeleteVolume')],
    [40 * MINUTE, named('GetInstanceProfile')],  // errorCode NoSuchEntityException
    [25 * MINUTE, named('DeletePolicy')],
    [10 * MINUTE, signIn],  // responseElements {"ConsoleLogin": "Failure"} only
  ];
}

const rowsOf = (page) => page.locator('table.log-events tbody tr.event');
const minuteInput = (t) => new Date(t).toISOString().slice(0, 16);  // datetime-local, UTC

before(async () => {
  server = await startServer(path.join(scratch, 'data'));
  logs = awsClients(server.base).logs;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopServer(server, scratch);
});

test('the log group page', {timeout: 120_000}, async (t) => {
  const started = Date.now();
  const seeded = seedRecords();
  await logs('CreateLogGroup', {logGroupName: GROUP});
  await logs('CreateLogStream', {logGroupName: GROUP, logStreamName: 'trail'});
  await logs('PutLogEvents', {logGroupName: GROUP, logStreamName: 'trail',
    logEvents: seeded.map(([ago, record]) => ({timestamp: started - ago,
      message: typeof record === 'string' ? record : JSON.stringify(record)}))});
  await logs('CreateLogGroup', {logGroupName: PLAIN_GROUP});
  await logs('CreateLogStream', {logGroupName: PLAIN_GROUP, logStreamName: 'web-1'});
  await logs('PutLogEvents', {logGroupName: PLAIN_GROUP, logStreamName: 'web-1',
    logEvents: Array.from({length: 120}, (_, i) => ({timestamp: started - (120 - i) * 1000, message: `line ${i} GET /`}))});

  const context = await browser.newContext({viewport: {width: 1440, height: 900}, baseURL: server.base,
    timezoneId: 'UTC'});
  const page = watch(await context.newPage());
  await page.goto(`/console/#/logs/${encodeURIComponent(GROUP)}`);
  await signIn(page);
  const signInRecord = seeded.at(-1)[1];

  await t.test('CloudTrail events as a table: event, principal, source IP, error', async () => {
    await waitFor(rowsOf(page).first());
    assert.deepEqual(await page.locator('table.log-events thead th').allTextContents(),
        ['Time', 'Event', 'Principal', 'Source IP', 'Error']);
    assert.equal(await rowsOf(page).count(), 8);
    await expectText(page.locator('.search-result > p.muted'), '8 events (newest first).');
    const newest = rowsOf(page).nth(0);
    assert.equal(await newest.locator('td.event-name').textContent(), 'ConsoleLogin signin');
    assert.equal(await newest.locator('td.principal').textContent(), 'arn:aws:iam::493859302102:root');
    assert.equal(await newest.locator('td.ip').textContent(), '92.55.146.245');
    assert.equal(await newest.locator('td.error-cell .failure').textContent(), '✖ ConsoleLogin: Failure');
    assert.match(await newest.getAttribute('class'), /\bfailed\b/);
    const denied = rowsOf(page).nth(2);
    assert.equal(await denied.locator('td.event-name').textContent(), 'GetInstanceProfile iam');
    assert.equal(await denied.locator('td.principal').textContent(), 'arn:aws:iam::123837392027:user/bert-jan');
    assert.equal(await denied.locator('td.ip').textContent(), '192.168.10.20');
    assert.equal(await denied.locator('td.error-cell .failure').textContent(), '✖ NoSuchEntityException');
    const fine = rowsOf(page).nth(1);
    assert.equal(await fine.locator('td.event-name').textContent(), 'DeletePolicy iam');
    assert.equal(await fine.locator('td.error-cell').textContent(), '—');
    assert.doesNotMatch(await fine.getAttribute('class'), /\bfailed\b/);
    // A message that is not CloudTrail's: its stream and text across the other columns.
    const plain = rowsOf(page).nth(7);
    assert.equal(await plain.locator('td.stream').textContent(), 'trail');
    assert.equal(await plain.locator('.message').textContent(), 'not CloudTrail: a plain line');
    assert.equal(await plain.locator('td').nth(2).getAttribute('colspan'), '3');
  });

  await t.test('a row expands to its raw JSON (click and Enter), highlights kept', async () => {
    await page.fill('#search-pattern', '{ $.sourceIPAddress = "92.55.146.245" }');
    await expectText(page.locator('.search-result > p.muted'), /^1 matching event \(newest first; 8 scanned\)\.$/);
    const row = rowsOf(page).first();
    assert.equal(await row.locator('td.ip mark').textContent(), '92.55.146.245');
    const toggle = row.locator('button.expander');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    const detail = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
    assert.equal(await detail.isHidden(), true);
    await row.locator('td.principal').click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await waitFor(detail.locator('pre.json'));
    assert.equal(await detail.locator('pre.json').textContent(), JSON.stringify(signInRecord, null, 2));
    assert.deepEqual(await detail.locator('pre.json mark').allTextContents(), ['92.55.146.245']);
    await shot(page, 'logs-group-expanded');
    await toggle.focus();
    await page.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await detail.isHidden(), true);
    await page.keyboard.press('Enter');
    assert.equal(await detail.isVisible(), true);
    await page.fill('#search-pattern', '');
    await expectText(page.locator('.search-result > p.muted'), '8 events (newest first).');
  });

  await t.test('the time range: 1 h, all, custom; kept in the URL', async () => {
    await page.click('button[data-range="1h"]');
    await expectText(page.locator('.search-result > p.muted'), '3 events (newest first).');
    assert.equal(await rowsOf(page).count(), 3);
    assert.deepEqual(await rowsOf(page).locator('td.event-name strong').allTextContents(),
        ['ConsoleLogin', 'DeletePolicy', 'GetInstanceProfile']);
    assert.match(page.url(), /[?&]range=1h(&|$)/);
    await page.click('button[data-range="all"]');
    await expectText(page.locator('.search-result > p.muted'), '8 events (newest first).');
    assert.doesNotMatch(page.url(), /range=/);

    await page.click('button[data-range="custom"]');
    await page.fill('#events-start', minuteInput(started - 4.5 * HOUR));
    await page.fill('#events-end', minuteInput(started - 2.5 * HOUR));
    await page.click('.custom-range button[type=submit]');
    await expectText(page.locator('.search-result > p.muted'), '2 events (newest first).');
    assert.deepEqual(await rowsOf(page).locator('td.event-name strong').allTextContents(),
        ['DescribeRegions', 'DetachRolePolicy']);
    const query = new URLSearchParams(page.url().split('?')[1]);
    assert.equal(query.get('range'), 'custom');
    assert.equal(query.get('start'), `${minuteInput(started - 4.5 * HOUR)}:00.000Z`);
    assert.equal(query.get('end'), `${minuteInput(started - 2.5 * HOUR)}:00.000Z`);
    // A reload shows the same range.
    await page.reload();
    await expectText(page.locator('.search-result > p.muted'), '2 events (newest first).');
    assert.equal(await page.locator('button[data-range="custom"]').getAttribute('aria-pressed'), 'true');
    await page.click('button[data-range="all"]');
    await expectText(page.locator('.search-result > p.muted'), '8 events (newest first).');
  });

  await t.test('the pattern tester is at the top; a metric filter from its pattern', async () => {
    const sections = await page.locator('main section.panel h2').allTextContents();
    assert.deepEqual(sections, ['Pattern tester', 'Events', 'Metric filters', 'Streams']);
    const pattern = '{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }';
    await page.fill('#tester-pattern', pattern);
    await expectText(page.locator('.tester-result .verdict'), '1 of 8 recent events match.');
    const opener = page.locator('button.create-filter');
    await opener.click();
    assert.equal(await opener.getAttribute('aria-expanded'), 'true');
    await page.fill('#mf-name', 'console-login-failures');
    assert.equal(await page.inputValue('#mf-namespace'), 'CloudTrailMetrics');
    assert.equal(await page.inputValue('#mf-value'), '1');
    await page.fill('#mf-metric', 'Console:Failures');
    const refused = page.waitForResponse((r) => r.url().endsWith('/console/api/aws/logs/PutMetricFilter'));
    await page.click('#metric-filter-form button[type=submit]');
    const answer = await (await refused).json();
    assert.ok(answer.error, JSON.stringify(answer));
    await expectText(page.locator('#metric-filter-form .error'), answer.error);
    assert.match(answer.error, /must not contain ':'/);
    assert.deepEqual((await logs('DescribeMetricFilters', {logGroupName: GROUP})).metricFilters, []);

    await page.fill('#mf-metric', 'ConsoleLoginFailures');
    await page.click('#metric-filter-form button[type=submit]');
    await expectText(page.locator('.metric-filter .notice'), 'Metric filter console-login-failures created.');
    assert.equal(await page.locator('#metric-filter-form').isHidden(), true);
    const [made] = (await logs('DescribeMetricFilters', {logGroupName: GROUP})).metricFilters;
    assert.equal(made.filterName, 'console-login-failures');
    assert.equal(made.filterPattern, pattern);
    assert.deepEqual(made.metricTransformations,
        [{metricName: 'ConsoleLoginFailures', metricNamespace: 'CloudTrailMetrics', metricValue: '1'}]);
    const row = page.locator('table.filters tr[data-filter="console-login-failures"]');
    await expectText(row.locator('code.pattern'), pattern);
    await shot(page, 'logs-group-desktop');

    // Editing: the same form, pre-filled; PutMetricFilter replaces the filter.
    await row.locator('button.edit-filter').click();
    assert.equal(await page.inputValue('#mf-name'), 'console-login-failures');
    assert.equal(await page.locator('#mf-name').getAttribute('readonly'), '');
    assert.equal(await page.inputValue('#mf-metric'), 'ConsoleLoginFailures');
    assert.equal(await page.inputValue('#tester-pattern'), pattern);
    await page.fill('#mf-default', '0');
    await page.click('#metric-filter-form button[type=submit]');
    await expectText(page.locator('.metric-filter .notice'), 'Metric filter console-login-failures saved.');
    const edited = (await logs('DescribeMetricFilters', {logGroupName: GROUP})).metricFilters;
    assert.equal(edited.length, 1);
    assert.deepEqual(edited[0].metricTransformations, [{metricName: 'ConsoleLoginFailures',
      metricNamespace: 'CloudTrailMetrics', metricValue: '1', defaultValue: 0}]);
    await expectText(row.locator('td').nth(3), '0');

    // Deleting asks first.
    await row.locator('button.delete-filter').click();
    await expectText(row.locator('.confirm'), 'Delete console-login-failures?');
    await row.locator('button', {hasText: 'Cancel'}).click();
    await waitFor(row.locator('button.delete-filter'));
    await row.locator('button.delete-filter').click();
    await row.locator('button.confirm-delete').click();
    await expectText(page.locator('section[aria-labelledby="s-metric-filters"]'), 'No metric filters on this group.');
    assert.deepEqual((await logs('DescribeMetricFilters', {logGroupName: GROUP})).metricFilters, []);
  });

  await t.test('plain messages: time, stream, message; "Load more" appends pages', async () => {
    await page.goto(`/console/#/logs/${encodeURIComponent(PLAIN_GROUP)}`);
    await waitFor(rowsOf(page).first());
    assert.deepEqual(await page.locator('table.log-events thead th').allTextContents(), ['Time', 'Stream', 'Message']);
    await page.selectOption('#search-limit', '50');
    await page.fill('#search-pattern', 'GET');
    const summary = page.locator('.search-result > p.muted');
    await expectText(summary, /^50 matching events \(newest first; 50 scanned; older events not searched yet\)\.$/);
    assert.equal(await rowsOf(page).count(), 50);
    const first = rowsOf(page).first();
    assert.equal(await first.locator('td.stream').textContent(), 'web-1');
    assert.equal(await first.locator('.message').textContent(), 'line 119 GET /');
    assert.equal(await first.locator('.message mark').textContent(), 'GET');
    await first.evaluate((el) => el.setAttribute('data-probe', 'kept'));  // the first page stays in place
    await page.click('button.load-more');
    await expectText(summary, /^100 matching events \(newest first; 100 scanned; older events not searched yet\)\.$/);
    assert.equal(await rowsOf(page).count(), 100);
    assert.equal(await rowsOf(page).first().getAttribute('data-probe'), 'kept');
    await page.click('button.load-more');
    await expectText(summary, /^120 matching events \(newest first; 120 scanned\)\.$/);
    assert.equal(await rowsOf(page).count(), 120);
    assert.equal(await rowsOf(page).last().locator('.message').textContent(), 'line 0 GET /');
    assert.equal(await page.locator('button.load-more').count(), 0);
  });

  await t.test('a phone: nothing overflows sideways', async () => {
    const phone = watch(await context.newPage());
    await phone.setViewportSize({width: 390, height: 844});
    await phone.goto(`/console/#/logs/${encodeURIComponent(GROUP)}`);
    await waitFor(rowsOf(phone).first());
    await rowsOf(phone).first().locator('button.expander').click();
    await phone.locator('button.create-filter').click();
    assert.ok(await sidewaysOverflow(phone) <= 0, `the page scrolls sideways by ${await sidewaysOverflow(phone)} px`);
    await shot(phone, 'logs-group-phone');
    await phone.close();
  });

  assert.deepEqual(problems, []);
  await context.close();
});
