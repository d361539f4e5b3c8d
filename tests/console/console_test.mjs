// End-to-end test of the web console: a real `trailwatch serve` started here,
// Debian's chromium driven by playwright-core, and the AWS calls that feed
// the server signed with SigV4 from Node (node:crypto, no SDK).
//
//   TW_BINARY=build/trailwatch node --test console_test.mjs     (from tests/console)
//
// What it checks, in order (docs/console-api.md, the console issue):
//   - GET / in a browser lands on /console/; the first paint is under 100 KB;
//     every console response carries the strict Content-Security-Policy and
//     the page raises no CSP violation or script error anywhere below;
//   - API requests without a session are refused (401); a wrong secret is
//     refused; sign-in sets an HttpOnly, SameSite=Strict session cookie and
//     the secret never comes back to the browser;
//   - the seed alarm (examples/iam-policy-change.yaml) shows OK, then ALARM
//     without a reload after PutLogEvents of a DeletePolicy CloudTrail record;
//   - a composite alarm naming it appears in its own table, in ALARM;
//   - the detail graph has a breaching datapoint above the threshold line and
//     a shaded ALARM period; the condition in words; the history with the
//     e-mail delivery; the evidence with the event's user and source IP and
//     its full JSON on click; the e-mail link #/alarms/<name> opens it;
//   - log groups: the search highlights what matched; the pattern tester
//     (debounced) shows matches and extracted values, and for an invalid
//     pattern the column with a caret under it;
//   - topics: a dead letter and "Retry now" delivering it;
//   - replay --json output loaded from a file;
//   - POST without the CSRF token or from another Origin is refused (403);
//     after sign-out the old cookie is refused; a 401 returns to sign-in.
// Screenshots of each page go to <build>/console-screenshots/.

import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {promisify} from 'node:util';

import {
  ACCESS_KEY_ID, awsClients, BINARY, expectText, launchBrowser, pageWatcher, SCREENSHOTS, SECRET, SHARED_DIR, shot,
  SOURCE_DIR, startReceiver, startServer, STEP, stopServer, waitFor,
} from './harness.mjs';

const TEMPLATE = path.join(SOURCE_DIR, 'examples', 'iam-policy-change.yaml');
const CLOUDTRAIL_FILE = path.join(SHARED_DIR, 'data', 'cloudtrail', 'aws_dataset',
    '218007301253_CloudTrail_us-east-1_20230710T1220Z_ovtmbuX3ENJ119uH.json');

const ALARM = 'IAMPolicyChanges';
const GROUP = 'CloudTrail/DefaultLogGroup';
const STREAM = 'console-test';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CONDITION = 'ALARM when Maximum > 0 for 1 of 1 periods of 5 minutes; missing data = not breaching';
const INVALID_PATTERN = '{ $.eventName = "x" && status = 401 }';  // column 24: not a selector

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-console-'));
let server;   // {process, base, log()}
let browser;
let context;
let receiver;  // the HTTP subscriber for the dead-letter check

let logs;        // the AWS clients of the server (harness.awsClients)
let cloudwatch;
let sns;
const {problems, apiBodies, watch} = pageWatcher();

async function newPage() {
  return watch(await context.newPage());
}

// The DeletePolicy record of the shared CloudTrail file, happening now.
function deletePolicyRecord() {
  const records = JSON.parse(fs.readFileSync(CLOUDTRAIL_FILE, 'utf8')).Records;
  const record = records.find((r) => r.eventName === 'DeletePolicy');
  assert.ok(record, 'the CloudTrail file has a DeletePolicy record');
  return {...record, eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')};
}

before(async () => {
  assert.ok(fs.existsSync(BINARY), `no trailwatch binary at ${BINARY} (build it first)`);
  server = await startServer(path.join(scratch, 'data'), ['--template', TEMPLATE, '--early-alarm',
    // The dead-letter check's receiver is on 127.0.0.1, refused as an endpoint by default.
    '--allow-endpoint', '127.0.0.1/32']);
  ({logs, cloudwatch, sns} = awsClients(server.base));
  receiver = await startReceiver();
  browser = await launchBrowser();
  context = await browser.newContext({viewport: {width: 1280, height: 900}, baseURL: server.base});
});

let finished = false;  // the main test ran to its end

after(async () => {
  if (!finished && server) console.error(`trailwatch serve's log:\n${server.log().split('\n').slice(-80).join('\n')}`);
  await browser?.close();
  await receiver?.close();
  await stopServer(server, scratch);
});

test('the web console, end to end', {timeout: 170_000}, async (t) => {
  const started = Date.now();
  let page;
  let other;  // a second tab, for the checks that run while the seed alarm gets its first evaluation

  await t.test('a request without a session is refused', async () => {
    for (const [method, p] of [['GET', 'alarms'], ['GET', 'logs'], ['GET', 'topics'], ['GET', 'session'],
      ['GET', `alarms/${ALARM}`], ['POST', 'test-pattern'], ['POST', 'deliveries/1/retry']]) {
      const response = await fetch(`${server.base}/console/api/${p}`, {
        method, body: method === 'POST' ? '{"pattern":"x","messages":["x"]}' : undefined,
        headers: {'content-type': 'application/json'},
      });
      assert.equal(response.status, 401, `${method} ${p}`);
      assert.deepEqual(await response.json(), {error: 'not signed in'});
      assert.equal(response.headers.get('content-security-policy'), CSP);
    }
  });

  await t.test('GET / lands on the sign-in form; first paint under 100 KB', async () => {
    page = await newPage();
    const assets = [];
    page.on('response', (r) => {
      if (!r.url().includes('/console/api/')) assets.push(r);
    });
    const response = await page.goto('/');
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.equal(response.headers()['content-security-policy'], CSP);
    assert.equal(response.headers()['x-frame-options'], 'DENY');
    await waitFor(page.locator('#signin-form'));
    let bytes = 0;
    for (const r of assets) if (r.status() === 200) bytes += (await r.body()).length;
    t.diagnostic(`first paint: ${assets.length} responses, ${bytes} bytes`);
    assert.ok(bytes < 100 * 1024, `first paint is ${bytes} bytes`);
    for (const r of assets) {
      if (r.status() === 200) assert.equal(r.headers()['content-security-policy'], CSP, r.url());
      assert.ok(new URL(r.url()).origin === server.base, `no external URL: ${r.url()}`);
    }
    await shot(page, '01-sign-in');
  });

  await t.test('a wrong secret is refused', async () => {
    await page.fill('#access-key-id', ACCESS_KEY_ID);
    await page.fill('#secret-access-key', 'not-the-secret');
    await page.click('#signin-form button[type=submit]');
    await expectText(page.locator('#signin-error'), 'Unknown access key or wrong secret');
    assert.equal(await page.inputValue('#secret-access-key'), '');
    assert.deepEqual(await context.cookies(), []);
    await shot(page, '02-sign-in-refused');
  });

  await t.test('sign in: an HttpOnly SameSite=Strict cookie, the secret kept nowhere', async () => {
    await page.fill('#secret-access-key', SECRET);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/console/api/session') && r.request().method() === 'POST'),
      page.click('#signin-form button[type=submit]'),
    ]);
    assert.equal(response.status(), 200);
    const setCookie = await response.headerValue('set-cookie');
    assert.match(setCookie, /^tw_session=[^;]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const body = await response.json();
    assert.deepEqual(Object.keys(body).sort(), ['accessKeyId', 'csrfToken', 'expiresAt']);
    await waitFor(page.locator(`tr[data-alarm="${ALARM}"]`));
    const [cookie] = await context.cookies();
    assert.equal(cookie.name, 'tw_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(cookie.expires > Date.now() / 1000 + 11 * 3600, 'the cookie expires in 12 hours');
    const leaks = await page.evaluate(([secret, csrf]) => ({
      html: document.documentElement.outerHTML.includes(secret),
      cookie: document.cookie.includes('tw_session'),
      storage: JSON.stringify({...localStorage, ...sessionStorage}).match(new RegExp(`${csrf}|${secret}`)) !== null,
      input: document.getElementById('secret-access-key').value,
    }), [SECRET, body.csrfToken]);
    assert.deepEqual(leaks, {html: false, cookie: false, storage: false, input: ''});
  });

  // The seed alarm starts INSUFFICIENT_DATA and becomes OK at the first
  // minute boundary (missing data = not breaching): up to a minute, which
  // the checks on the second tab below use.
  const seedOk = page.locator(`tr[data-alarm="${ALARM}"][data-state="OK"]`).waitFor({timeout: 90_000});
  seedOk.catch(() => {});

  await t.test('alarms page: state in text, metric, sparkline, filters', async () => {
    const row = page.locator(`tr[data-alarm="${ALARM}"]`);
    await expectText(row.locator('.state .label'), /^(INSUFFICIENT_DATA|OK)$/);
    await expectText(row, 'CloudTrailMetrics / IAMPolicyEventCount');
    await waitFor(row.locator('svg.sparkline'));
    await page.fill('#alarm-filter', 'no-such-alarm');
    await expectText(page.locator('main'), 'No alarm matches the filter.');
    await page.fill('#alarm-filter', 'policy');
    await waitFor(row);
    await page.click('label[for="state-ALARM"]');
    await waitFor(row, {state: 'detached'});
    await page.click('label[for="state-all"]');
    await page.fill('#alarm-filter', '');
    await waitFor(row);
    await shot(page, '03-alarms-initial');
  });

  other = await newPage();

  await t.test('topics: subscriptions, a dead letter, and "Retry now" delivering it', async () => {
    const topicArn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(await sns({Action: 'ListTopics'}))[1];
    // No retries for HTTP: the first failure is final.
    await sns({Action: 'SetTopicAttributes', TopicArn: topicArn, AttributeName: 'DeliveryPolicy',
      AttributeValue: JSON.stringify({http: {defaultHealthyRetryPolicy: {numRetries: 0, minDelayTarget: 1,
        maxDelayTarget: 1, numNoDelayRetries: 0, numMinDelayRetries: 0, numMaxDelayRetries: 0,
        backoffFunction: 'linear'}}})});
    await sns({Action: 'Subscribe', TopicArn: topicArn, Protocol: 'http', Endpoint: receiver.url});
    await other.goto('/console/#/topics');
    const dead = other.locator('table.dead-letters tr[data-state="dead"]');
    await waitFor(dead);
    await expectText(dead, receiver.url);
    await expectText(dead, 'HTTP 500');
    const topic = other.locator('section.topic');
    await expectText(topic, 'security@example.com');
    await expectText(topic, 'pending confirmation');  // the HTTP one
    await shot(other, '04-topics-dead-letter');
    receiver.accept = true;
    await dead.locator('button.retry').click();
    await expectText(other.locator('.notice'), 'is pending again');
    await waitFor(other.locator(`table.deliveries tr[data-state="delivered"]`), {timeout: STEP});
    await expectText(other.locator('table.deliveries'), 'SubscriptionConfirmation');
    await waitFor(other.locator('table.dead-letters'), {state: 'detached'});
    assert.deepEqual(receiver.requests.map((r) => r.accepted), [false, true]);
    await shot(other, '05-topics-retried');
  });

  await t.test('replay: a replay --json result file is shown', async () => {
    const {stdout} = await promisify(execFile)(BINARY, ['replay', '--json', '--template', TEMPLATE,
      path.join(SOURCE_DIR, 'examples', 'sample-cloudtrail.json')]);
    const file = path.join(scratch, 'replay.jsonl');
    fs.writeFileSync(file, stdout);
    await other.goto('/console/#/replay');
    await other.setInputFiles('#replay-file', file);
    const alarm = other.locator(`section.replay-alarm[data-alarm="${ALARM}"]`);
    await waitFor(alarm);
    await waitFor(alarm.locator('svg.timeline rect.state-alarm'));
    await waitFor(alarm.locator('svg.chart circle.breaching'));
    assert.equal(await alarm.locator('table.transitions tr[data-state]').count(),
        stdout.split('\n').filter((l) => l.includes('"transition"')).length);
    await shot(other, '06-replay');
  });

  await t.test('log group: metric filters; the tester on pasted messages and an invalid pattern', async () => {
    await other.goto('/console/#/logs');
    await other.click(`tr[data-group="${GROUP}"] a`);
    await expectText(other.locator('h1'), GROUP);
    assert.ok(other.url().endsWith(`#/logs/${encodeURIComponent(GROUP)}`), other.url());
    await expectText(other.locator('table.filters'), 'IAMPolicyChanges');
    await expectText(other.locator('main'), '90 days');
    await other.check('#tester-source-pasted');
    await other.fill('#tester-messages', [
      '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534',
      '127.0.0.1 - frank [10/Oct/2000:13:25:16 -0700] "GET /b.gif HTTP/1.0" 200 2326',
    ].join('\n'));
    await other.fill('#tester-pattern', '[ip, user, username, timestamp, request, status_code=4*, bytes]');
    const result = other.locator('.tester-result');
    await expectText(result.locator('.verdict'), '1 of 2 messages match.');
    await expectText(result.locator('.match .extracted'), '404');
    await expectText(result.locator('.match .extracted'), 'frank');
    await shot(other, '07-tester-pasted');

    await other.fill('#tester-pattern', INVALID_PATTERN);
    await expectText(result.locator('.pattern-error .column'), 'column 24');
    const caret = await result.locator('pre.caret .caret-mark').textContent();
    assert.equal(caret, `${' '.repeat(23)}^`);
    await expectText(result.locator('.pattern-error'), 'selector');
    await shot(other, '08-tester-error');
  });

  await t.test('the seed alarm is OK', {timeout: 95_000}, async () => {
    await seedOk;
    await expectText(page.locator(`tr[data-alarm="${ALARM}"] .state .label`), 'OK');
    await shot(page, '09-alarms-ok');
  });

  let putAt = 0;
  await t.test('after PutLogEvents of a DeletePolicy record the page shows ALARM without reload', async () => {
    await page.evaluate(() => (window.__twMarker = 'same page'));
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await logs('CreateLogStream', {logGroupName: GROUP, logStreamName: STREAM});
    putAt = Date.now();
    await logs('PutLogEvents', {logGroupName: GROUP, logStreamName: STREAM,
      logEvents: [{timestamp: Date.now(), message: JSON.stringify(deletePolicyRecord())}]});
    const row = page.locator(`tr[data-alarm="${ALARM}"][data-state="ALARM"]`);
    await waitFor(row, {timeout: 10_000});
    t.diagnostic(`ALARM on screen ${Date.now() - putAt} ms after PutLogEvents returned`);
    await expectText(row.locator('.state .label'), 'ALARM');
    assert.equal(await page.evaluate(() => window.__twMarker), 'same page');
    assert.equal(navigations, 0);
    await expectText(row.locator('.reason'), 'Threshold Crossed');
    await waitFor(row.locator('svg.sparkline circle.breaching'));
    assert.match(await page.title(), /\(1 in ALARM\)/);
    await shot(page, '10-alarms-alarm');
  });

  await t.test('composite alarms: a table of their own, following the alarm they name', async () => {
    const rule = `ALARM("${ALARM}") OR FALSE`;
    await cloudwatch('PutCompositeAlarm', {AlarmName: 'AnyPolicyChange', AlarmRule: rule,
      AlarmDescription: 'the seed alarm, composed'});
    const row = page.locator('tr[data-composite="AnyPolicyChange"][data-state="ALARM"]');
    await waitFor(row);
    await expectText(page.locator('#composites-title'), 'Composite alarms');
    await expectText(row.locator('.rule'), rule);
    await expectText(row.locator('.reason'), 'was created and its alarm rule evaluates to ALARM');
    await expectText(row, 'the seed alarm, composed');
    await page.fill('#alarm-filter', 'no-such-alarm');
    await waitFor(row, {state: 'detached'});
    await page.fill('#alarm-filter', '');
    await waitFor(row);
    await shot(page, '10b-composite-alarms');

    // Its detail page: the rule, each alarm it names with its state and a
    // link, the history; no metric graph and no evidence of its own.
    await row.locator('a').click();
    await expectText(page.locator('h1'), 'AnyPolicyChange');
    await expectText(page.locator('dd.rule'), rule);
    const child = page.locator(`table.children tr[data-child="${ALARM}"]`);
    await waitFor(child);
    await expectText(child, 'ALARM');
    await expectText(child, 'metric');
    assert.equal(await child.locator('a').getAttribute('href'), `#/alarms/${encodeURIComponent(ALARM)}`);
    assert.equal(await page.locator('#s-metric').isVisible(), false);
    assert.equal(await page.locator('#s-evidence').isVisible(), false);
    const history = page.locator('table.history');
    await waitFor(history.locator('tr[data-type="StateUpdate"]').first());
    await expectText(history.locator('tr[data-type="StateUpdate"]').first(), 'to ALARM');
    await shot(page, '10c-composite-detail');
    await page.click('nav.crumbs a');
    await waitFor(page.locator(`tr[data-alarm="${ALARM}"]`));

    // A composite whose suppressor (the seed alarm) is in ALARM says so.
    await cloudwatch('PutCompositeAlarm', {AlarmName: 'HeldByTheSeed', AlarmRule: 'TRUE',
      ActionsSuppressor: ALARM, ActionsSuppressorWaitPeriod: 60, ActionsSuppressorExtensionPeriod: 300});
    const held = page.locator('tr[data-composite="HeldByTheSeed"]');
    await waitFor(held);
    await expectText(held.locator('.suppressed'), 'Actions suppressed by Alarm');
    await cloudwatch('DeleteAlarms', {AlarmNames: ['HeldByTheSeed']});
    await waitFor(held, {state: 'detached'});
  });

  await t.test('alarm detail: breaching point above the threshold line, ALARM shaded, condition', async () => {
    await page.click(`tr[data-alarm="${ALARM}"] a`);
    await expectText(page.locator('h1'), ALARM);
    const chart = page.locator('svg.chart');
    const point = chart.locator('circle.point.breaching');
    await waitFor(point.first());
    assert.equal(await point.first().getAttribute('data-v'), '1');
    const threshold = chart.locator('line.threshold');
    assert.equal(await threshold.count(), 1);
    assert.equal(await threshold.getAttribute('data-value'), '0');
    assert.ok(Number(await point.first().getAttribute('cy')) < Number(await threshold.getAttribute('y1')),
        'the breaching point is drawn above the threshold');
    await waitFor(chart.locator('rect.alarm-period'));
    await expectText(page.locator('.head-state'), 'ALARM');
    // The ranges: 1 d keeps the point, and a custom range can be applied.
    await page.click('button[data-range="1d"]');
    assert.match(page.url(), /\?range=1d$/);
    await waitFor(page.locator('svg.chart circle.point.breaching').first());
    await page.click('button[data-range="custom"]');
    await page.click('form.custom-range button[type=submit]');
    await waitFor(page.locator('svg.chart circle.point.breaching').first());
    await page.click('button[data-range="1h"]');
    await shot(page, '11-alarm-detail');
  });

  await t.test('alarm detail: the configuration in words', async () => {
    await expectText(page.locator('dd.condition'), CONDITION, 5000);
  });

  await t.test('alarm detail: the history with the e-mail delivery', async () => {
    const history = page.locator('table.history');
    await expectText(history, 'from OK to ALARM');
    const action = history.locator('tr[data-type="Action"]');
    await expectText(action, 'security@example.com', 15_000);
    await expectText(action.locator('.chip'), 'delivered', 15_000);
  });

  await t.test('evidence: the event\'s user and IP, its full JSON on click', async () => {
    const evidence = page.locator('table.evidence');
    await waitFor(evidence);
    await expectText(evidence.locator('.principal'), 'bert-jan');
    await expectText(evidence.locator('.ip'), '192.168.10.20');
    await expectText(evidence, 'DeletePolicy');
    const json = evidence.locator('tr.json-row pre.json').first();
    assert.equal(await json.isVisible(), false);
    await evidence.locator('tr.evidence-event').first().click();
    await waitFor(json);
    await expectText(json, '"requestID": "856f7d1b-e278-4953-b01d-68773ff01cb4"');
    await expectText(json, '"policyArn"');
    await json.scrollIntoViewIfNeeded();
    await shot(page, '12-alarm-evidence');
  });

  await t.test('the e-mail link #/alarms/<name> opens the alarm in a new tab', async () => {
    const tab = await newPage();
    await tab.goto(`/console/#/alarms/${encodeURIComponent(ALARM)}`);
    await expectText(tab.locator('h1'), ALARM);
    await waitFor(tab.locator('svg.chart circle.breaching').first());
    await tab.close();
  });

  await t.test('log group: the newest events, searched with a pattern, matches highlighted', async () => {
    await other.goto(`/console/#/logs/${encodeURIComponent(GROUP)}`);
    const events = other.locator('table.log-events tr.event');
    await waitFor(events.first());
    await expectText(events.first().locator('td.event-name'), 'DeletePolicy');
    await other.fill('#search-pattern', '{ $.sourceIPAddress = "192.168.10.20" }');
    await expectText(other.locator('.search-result'), /^1 matching event \(newest first/);
    await expectText(events.first().locator('mark'), '192.168.10.20');
    await other.fill('#search-pattern', 'ConsoleLogin');
    await expectText(other.locator('.search-result'), 'No event matches.');
    await other.fill('#search-pattern', INVALID_PATTERN);
    await expectText(other.locator('.search-result .pattern-error .column'), 'column 24');
    await other.fill('#search-pattern', 'DeletePolicy');
    await expectText(events.first().locator('mark'), 'DeletePolicy');
    await shot(other, '13-log-group-search');
  });

  await t.test('pattern tester on the group\'s events: matches as you type (debounced)', async () => {
    await other.check('#tester-source-group');
    const requests = [];
    const onRequest = (r) => r.url().endsWith('/console/api/test-pattern') && requests.push(r);
    other.on('request', onRequest);
    await other.fill('#tester-pattern', '');
    await other.locator('#tester-pattern').pressSequentially('{ $.userIdentity.userName = "bert-jan" }', {delay: 15});
    const result = other.locator('.tester-result');
    await expectText(result.locator('.verdict'), '1 of 1 recent events match.');
    await expectText(result.locator('.match .extracted'), 'bert-jan');
    await expectText(result.locator('.match mark'), 'bert-jan');
    other.off('request', onRequest);
    t.diagnostic(`${requests.length} test-pattern requests while typing 40 characters`);
    assert.ok(requests.length <= 4, `${requests.length} requests: the tester is not debounced`);
    assert.ok(requests.every((r) => r.headers()['x-csrf-token']), 'the UI sends X-CSRF-Token');
    await shot(other, '14-tester-match');
  });

  await t.test('log group search: a page at a time, "Load more" goes on', async () => {
    await logs('CreateLogStream', {logGroupName: GROUP, logStreamName: 'paging'});
    const now = Date.now();
    await logs('PutLogEvents', {logGroupName: GROUP, logStreamName: 'paging',
      logEvents: Array.from({length: 60}, (_, i) => ({timestamp: now + i, message: `PagingProbe ${i}`}))});
    await other.goto(`/console/#/logs/${encodeURIComponent(GROUP)}`);
    await other.selectOption('#search-limit', '50');
    await other.fill('#search-pattern', 'PagingProbe');
    const result = other.locator('.search-result');
    await expectText(result.locator('p.muted'), /^50 matching events \(newest first; 50 scanned; older events not searched yet\)/);
    await expectText(result.locator('tr.event').first().locator('.message'), 'PagingProbe 59');
    await other.click('.load-more');
    await expectText(result.locator('p.muted'), /^60 matching events \(newest first; \d+ scanned\)\.$/);
    await expectText(result.locator('tr.event').last().locator('.message'), 'PagingProbe 0');
    assert.equal(await other.locator('.load-more').count(), 0);
  });

  await t.test('state-changing requests need the CSRF token and the same Origin', async () => {
    const {csrfToken} = await (await context.request.get('/console/api/session')).json();
    const body = {pattern: 'x', messages: ['x']};
    const noToken = await context.request.post('/console/api/test-pattern', {data: body});
    assert.equal(noToken.status(), 403);
    const wrongToken = await context.request.post('/console/api/test-pattern',
        {data: body, headers: {'X-CSRF-Token': 'x'.repeat(64)}});
    assert.equal(wrongToken.status(), 403);
    const foreign = await context.request.post('/console/api/test-pattern',
        {data: body, headers: {'X-CSRF-Token': csrfToken, Origin: 'http://evil.example'}});
    assert.equal(foreign.status(), 403);
    const retry = await context.request.post('/console/api/deliveries/1/retry', {headers: {Origin: 'http://evil.example'}});
    assert.equal(retry.status(), 403);
    const good = await context.request.post('/console/api/test-pattern',
        {data: body, headers: {'X-CSRF-Token': csrfToken, Origin: server.base}});
    assert.equal(good.status(), 200);
  });

  await t.test('sign-out ends the session; a 401 returns the page to sign-in', async () => {
    const [cookie] = await context.cookies();
    await page.goto('/console/#/alarms');
    await waitFor(page.locator(`tr[data-alarm="${ALARM}"]`));
    await page.click('#signout');
    await waitFor(page.locator('#signin-form'));
    const replayed = await fetch(`${server.base}/console/api/alarms`, {headers: {cookie: `tw_session=${cookie.value}`}});
    assert.equal(replayed.status, 401, 'the old session cookie is refused after sign-out');
    await shot(page, '15-signed-out');

    // Signed in again, then the cookie disappears: the next poll's 401 shows the form.
    await page.fill('#access-key-id', ACCESS_KEY_ID);
    await page.fill('#secret-access-key', SECRET);
    await page.click('#signin-form button[type=submit]');
    await waitFor(page.locator(`tr[data-alarm="${ALARM}"]`));
    await context.clearCookies();
    await waitFor(page.locator('#signin-form'), {timeout: 5000});
    await expectText(page.locator('#signin-error'), 'Your session has ended');
  });

  await t.test('no CSP violation, no script error, no secret in any response', async () => {
    const bodies = await Promise.all(apiBodies);
    assert.ok(bodies.length > 20, `${bodies.length} API responses seen`);
    assert.ok(bodies.every((b) => !b.includes(SECRET)), 'a response contains the secret');
    assert.deepEqual(problems, []);
  });

  finished = true;
  t.diagnostic(`finished in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SCREENSHOTS}`);
});
