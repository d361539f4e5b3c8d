// Editing from the console (issue 15, "Editing, as CloudWatch's console
// allows"), in Debian's chromium against a real `trailwatch serve`, with real
// HTTP subscribers. Every change goes through the console's AWS route and is
// checked with the API itself:
//   - "Create alarm": the form's own checks, AWS's refusal shown verbatim, a
//     name that exists refused, then DescribeAlarms has every field as typed;
//   - "Edit" of the threshold only: every other member survives, including
//     those the form does not show (Unit, EvaluateLowSampleCountPercentile)
//     and the tags;
//   - "Set state" to ALARM notifies the subscriber; "Disable actions" /
//     "Enable actions"; "Delete" asks in the page first;
//   - the AWS route refuses a POST without the CSRF token (403);
//   - topics: create, subscribe an HTTP endpoint, "Send test notification"
//     (the subscriber gets its Subject and Message), unsubscribe, delete;
//   - "Retry all" makes every dead letter pending again, and they arrive;
//   - at 390 px nothing overflows sideways; no CSP violation, no script error.
// Screenshots: edit-create-desktop, edit-alarm-desktop, edit-detail-desktop,
// edit-alarm-phone, edit-detail-phone, edit-topics-desktop, edit-topics-phone,
// edit-retry-all.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';

import {
  ACCESS_KEY_ID, expectText, pageWatcher, serveWithSubscriber, shot, sidewaysOverflow, signIn, startReceiver,
  stopServer, waitFor, waitUntil,
} from './harness.mjs';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-edit-'));
let server;
let receiver;
let browser;
let context;
let page;
let aws;
const {problems, watch} = pageWatcher();

before(async () => {
  ({server, aws, receiver, browser} = await serveWithSubscriber(scratch));
  context = await browser.newContext({viewport: {width: 1440, height: 900}, baseURL: server.base});
  page = watch(await context.newPage());
  await page.goto('/console/#/alarms');
  await waitFor(page.locator('#signin-form'));
  await signIn(page);
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await stopServer(server, scratch);
});

const messagesOf = (requests, type) => requests.filter((r) => r.type === type).map((r) => JSON.parse(r.body));

async function createTopic(name) {
  return /<TopicArn>([^<]+)</.exec(await aws.sns({Action: 'CreateTopic', Name: name}))[1];
}

// Confirms the receiver's subscription to `topicArn` with the token it got.
async function confirm(topicArn) {
  await waitUntil(() => messagesOf(receiver.requests, 'SubscriptionConfirmation').some((m) => m.TopicArn === topicArn),
      `the confirmation request of ${topicArn}`);
  const request = messagesOf(receiver.requests, 'SubscriptionConfirmation').find((m) => m.TopicArn === topicArn);
  await aws.sns({Action: 'ConfirmSubscription', TopicArn: topicArn, Token: request.Token});
}

// The alarm's configuration: DescribeAlarms' answer without its state,
// timestamps and ARN.
async function configuration(name) {
  const {MetricAlarms} = await aws.cloudwatch('DescribeAlarms', {AlarmNames: [name]});
  assert.equal(MetricAlarms.length, 1, `${name} exists`);
  const config = {...MetricAlarms[0]};
  for (const key of ['AlarmArn', 'AlarmConfigurationUpdatedTimestamp', 'StateValue', 'StateReason', 'StateReasonData',
    'StateUpdatedTimestamp', 'StateTransitionedTimestamp']) delete config[key];
  return config;
}

const alarmCount = async () => (await aws.cloudwatch('DescribeAlarms', {})).MetricAlarms.length;

test('alarms: create, edit, set state, disable actions, delete', {timeout: 150_000}, async () => {
  const oncall = await createTopic('oncall');
  const spare = await createTopic('spare');
  await aws.sns({Action: 'Subscribe', TopicArn: oncall, Protocol: 'http', Endpoint: receiver.url});
  await confirm(oncall);

  // The form, from the list.
  await page.click('#create-alarm');
  await waitFor(page.locator('#af-namespace'));
  assert.equal(await page.inputValue('#af-namespace'), 'CloudTrailMetrics');
  assert.deepEqual(await page.locator('fieldset.actions[data-state="ALARM"] label.check').allTextContents(),
      [' oncall', ' spare']);
  await page.fill('#af-namespace', 'Security');
  await page.fill('#af-metric', 'RootLoginCount');
  await page.click('#af-add-dimension');
  await page.fill('.dimension .dim-name', 'Account');
  await page.fill('.dimension .dim-value', '123456789012');
  await page.fill('#af-statistic', 'p99');
  await page.selectOption('#af-period', '60');
  await page.selectOption('#af-comparison', 'GreaterThanThreshold');
  await page.fill('#af-threshold', '0');
  await page.fill('#af-evaluation-periods', '3');
  await page.fill('#af-datapoints', '4');
  await page.selectOption('#af-missing', 'notBreaching');
  await page.check(`fieldset.actions[data-state="ALARM"] input[value="${oncall}"]`);
  await page.fill('#af-ok-arns', spare);
  await page.fill('#af-name', 'RootLogins');
  await page.fill('#af-description', 'Root account sign-ins');
  await expectText(page.locator('.alarm-form .preview'), 'ALARM when p99 > 0 for 4 of 3 periods of 1 minute');

  // The form's own check: nothing is sent.
  const puts = [];
  page.on('request', (r) => r.url().endsWith('/console/api/aws/monitoring/PutMetricAlarm') && puts.push(r));
  await page.click('#af-save');
  await expectText(page.locator('.alarm-form .form-error'),
      'Datapoints to alarm (4) must be at most the evaluation periods (3).');
  assert.equal(await page.getAttribute('#af-datapoints', 'aria-invalid'), 'true');
  assert.equal(puts.length, 0);

  // A check only the API makes: its message, word for word.
  await page.fill('#af-datapoints', '2');
  await page.fill('#af-alarm-arns', 'not-an-arn');
  const refused = page.waitForResponse((r) => r.url().endsWith('/console/api/aws/monitoring/PutMetricAlarm'));
  await page.click('#af-save');
  const answer = await (await refused).json();
  assert.match(answer.error, /AlarmActions\[1\]: 'not-an-arn' is not a valid ARN/);
  assert.equal(answer.code, 'ValidationError');
  assert.equal((await page.locator('.alarm-form .form-error').textContent()).trim(), answer.error);
  assert.equal(await alarmCount(), 0);

  await page.fill('#af-alarm-arns', '');
  await expectText(page.locator('.alarm-form .preview'),
      'ALARM when p99 > 0 for 2 of 3 periods of 1 minute; missing data = not breaching');
  await shot(page, 'edit-create-desktop');
  await page.click('#af-save');
  await waitUntil(() => page.evaluate(() => location.hash === '#/alarms/RootLogins'), 'the alarm page');
  await expectText(page.locator('.page-head h1'), 'RootLogins');

  // Every field as the form had it, and nothing else.
  const created = {
    AlarmName: 'RootLogins', AlarmDescription: 'Root account sign-ins', ActionsEnabled: true,
    OKActions: [spare], AlarmActions: [oncall], InsufficientDataActions: [],
    MetricName: 'RootLoginCount', Namespace: 'Security', ExtendedStatistic: 'p99',
    Dimensions: [{Name: 'Account', Value: '123456789012'}], Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2,
    Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
    EvaluateLowSampleCountPercentile: 'evaluate',
  };
  assert.deepEqual(await configuration('RootLogins'), created);

  // "Create alarm" does not replace an alarm of the same name.
  await page.goto('/console/#/alarms?create');
  await page.fill('#af-name', 'RootLogins');
  await page.fill('#af-metric', 'Other');
  await page.click('#af-save');
  await expectText(page.locator('.alarm-form .form-error'), 'An alarm named RootLogins already exists');
  assert.deepEqual(await configuration('RootLogins'), created);

  // Members the form does not show, and a tag, set with the API.
  await aws.cloudwatch('PutMetricAlarm', {...created, Unit: 'Count', EvaluateLowSampleCountPercentile: 'ignore'});
  const {MetricAlarms: [{AlarmArn: arn}]} = await aws.cloudwatch('DescribeAlarms', {AlarmNames: ['RootLogins']});
  await aws.cloudwatch('TagResource', {ResourceARN: arn, Tags: [{Key: 'team', Value: 'security'}]});

  // Edit the threshold only.
  await page.goto('/console/#/alarms/RootLogins');
  await page.click('#edit-alarm');
  await waitFor(page.locator('#af-threshold'));
  assert.equal(await page.inputValue('#af-threshold'), '0');
  assert.equal(await page.inputValue('#af-name'), 'RootLogins');
  assert.equal(await page.getAttribute('#af-name', 'readonly'), '');
  assert.equal(await page.inputValue('#af-statistic'), 'p99');
  assert.equal(await page.inputValue('#af-ok-arns'), '');
  assert.equal(await page.isChecked(`fieldset.actions[data-state="OK"] input[value="${spare}"]`), true);
  await page.fill('#af-threshold', '5');
  await shot(page, 'edit-alarm-desktop');
  await page.click('#af-save');
  await waitUntil(() => page.evaluate(() => location.hash === '#/alarms/RootLogins'), 'the alarm page after saving');
  assert.deepEqual(await configuration('RootLogins'),
      {...created, Threshold: 5, Unit: 'Count', EvaluateLowSampleCountPercentile: 'ignore'});
  assert.deepEqual((await aws.cloudwatch('ListTagsForResource', {ResourceARN: arn})).Tags,
      [{Key: 'team', Value: 'security'}]);

  // Set state: the subscriber hears of it.
  await expectText(page.locator('.facts .condition'), '> 5');
  await page.click('#set-state');
  await page.selectOption('#set-state-value', 'ALARM');
  await page.fill('#set-state-reason', 'Drill from the edit test');
  await shot(page, 'edit-detail-desktop');
  await page.click('form.set-state button[type=submit]');
  await waitUntil(() => messagesOf(receiver.requests, 'Notification')
      .some((m) => m.TopicArn === oncall && JSON.parse(m.Message).NewStateReason === 'Drill from the edit test'),
  'the notification of the state set in the console');
  const notified = messagesOf(receiver.requests, 'Notification').map((m) => JSON.parse(m.Message))
      .find((m) => m.NewStateReason === 'Drill from the edit test');
  assert.equal(notified.AlarmName, 'RootLogins');
  assert.equal(notified.NewStateValue, 'ALARM');
  await expectText(page.locator('section[aria-labelledby="s-history"]'), 'Drill from the edit test');

  // Disable and enable the actions.
  await page.click('#toggle-actions');
  await expectText(page.locator('#toggle-actions'), 'Enable actions');
  assert.equal((await configuration('RootLogins')).ActionsEnabled, false);
  await expectText(page.locator('.facts'), 'disabled');
  await page.click('#toggle-actions');
  await expectText(page.locator('#toggle-actions'), 'Disable actions');
  assert.equal((await configuration('RootLogins')).ActionsEnabled, true);

  // On a phone.
  await page.setViewportSize({width: 390, height: 844});
  await page.goto('/console/#/alarms/RootLogins?edit');
  await waitFor(page.locator('#af-threshold'));
  assert.ok(await sidewaysOverflow(page) <= 0, 'the alarm form fits 390 px');
  await shot(page, 'edit-alarm-phone');
  await page.goto('/console/#/alarms/RootLogins');
  await page.click('#set-state');
  await waitFor(page.locator('#set-state-reason'));
  assert.ok(await sidewaysOverflow(page) <= 0, 'the alarm page with its set-state form fits 390 px');
  await shot(page, 'edit-detail-phone');
  await page.setViewportSize({width: 1440, height: 900});

  // The AWS route refuses a change without the CSRF token.
  const forged = await context.request.post('/console/api/aws/monitoring/DeleteAlarms',
      {data: {AlarmNames: ['RootLogins']}});
  assert.equal(forged.status(), 403);
  assert.equal(await alarmCount(), 1);

  // Delete asks in the page; Cancel keeps the alarm.
  await page.click('#delete-alarm');
  await expectText(page.locator('.alarm-controls .confirm'), 'Delete RootLogins?');
  await page.click('.alarm-controls .confirm-cancel');
  await page.click('#delete-alarm');
  await page.click('.alarm-controls button.confirm-delete');
  await waitUntil(() => page.evaluate(() => location.hash === '#/alarms'), 'the list after deleting');
  await waitFor(page.locator('#create-alarm'));
  assert.equal(await alarmCount(), 0);
  assert.deepEqual(problems, []);
});

test('topics: create, subscribe, test notification, unsubscribe, delete', {timeout: 120_000}, async () => {
  await page.goto('/console/#/topics');
  await page.fill('#new-topic-name', 'edit-test');
  await page.click('form.create-topic button[type=submit]');
  const section = page.locator('section.topic[data-topic="edit-test"]');
  await waitFor(section);
  await expectText(page.locator('.notice'), 'Topic edit-test created.');
  const listed = await aws.sns({Action: 'ListTopics'});
  const arn = [...listed.matchAll(/<TopicArn>([^<]+)</g)].map((m) => m[1]).find((a) => a.endsWith(':edit-test'));
  assert.ok(arn, listed);

  // Subscribe the receiver; the test confirms with the token it got.
  await section.locator('select.protocol').selectOption('http');
  await section.locator('input.endpoint').fill(receiver.url);
  await section.locator('form.subscribe button[type=submit]').click();
  await confirm(arn);
  const row = section.locator(`tr[data-endpoint="${receiver.url}"]`);
  await expectText(row, 'confirmed');

  // The test notification arrives with its subject and message.
  await section.locator('button.send-test').click();
  await expectText(page.locator('.notice'), 'published to edit-test');
  await waitUntil(() => messagesOf(receiver.requests, 'Notification').some((m) => m.TopicArn === arn),
      'the test notification');
  const received = messagesOf(receiver.requests, 'Notification').find((m) => m.TopicArn === arn);
  assert.equal(received.Subject, 'Test notification from the trailwatch console');
  assert.match(received.Message, new RegExp(`^This is a test notification for the topic edit-test, sent from the ` +
      `trailwatch console by ${ACCESS_KEY_ID} at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\. No alarm changed state\\.$`));
  await expectText(section.locator('table.deliveries'), 'Test notification from the trailwatch console');
  await shot(page, 'edit-topics-desktop');

  await page.setViewportSize({width: 390, height: 844});
  assert.ok(await sidewaysOverflow(page) <= 0, 'the topics page fits 390 px');
  await shot(page, 'edit-topics-phone');
  await page.setViewportSize({width: 1440, height: 900});

  // Unsubscribe, then delete the topic (asked first).
  await row.locator('button.unsubscribe').click();
  await expectText(section, 'No subscriptions.');
  const subscriptions = await aws.sns({Action: 'ListSubscriptionsByTopic', TopicArn: arn});
  assert.doesNotMatch(subscriptions, /<member>/);
  await section.locator('button.delete-topic').click();
  await expectText(section.locator('.confirm'), 'Delete edit-test and its subscriptions?');
  await section.locator('button.confirm-delete').click();
  await waitFor(section, {state: 'detached'});
  assert.doesNotMatch(await aws.sns({Action: 'ListTopics'}), /:edit-test</);
  assert.deepEqual(problems, []);
});

test('"Retry all" makes every dead letter pending again', {timeout: 120_000}, async () => {
  const failing = await startReceiver();  // answers 500 until accept is set
  try {
    const arn = await createTopic('flaky');
    // No retries for HTTP: the first failure is final.
    await aws.sns({Action: 'SetTopicAttributes', TopicArn: arn, AttributeName: 'DeliveryPolicy',
      AttributeValue: JSON.stringify({http: {defaultHealthyRetryPolicy: {numRetries: 0, minDelayTarget: 1,
        maxDelayTarget: 1, numNoDelayRetries: 0, numMinDelayRetries: 0, numMaxDelayRetries: 0,
        backoffFunction: 'linear'}}})});
    for (const which of ['a', 'b']) {
      await aws.sns({Action: 'Subscribe', TopicArn: arn, Protocol: 'http', Endpoint: `${failing.url}?${which}`});
    }
    await page.goto('/console/#/topics');
    const dead = page.locator('table.dead-letters tr[data-state="dead"]');
    await waitUntil(async () => (await dead.count()) === 2, 'two dead letters');
    await shot(page, 'edit-retry-all');
    failing.accept = true;
    await page.click('#retry-all');
    await expectText(page.locator('.notice'), '2 of 2 dead deliveries are pending again.');
    await waitFor(page.locator('table.dead-letters'), {state: 'detached'});
    await waitUntil(() => failing.requests.filter((r) => r.accepted).length === 2, 'both deliveries, again');
    assert.deepEqual(failing.requests.map((r) => [r.type, r.accepted]), [
      ['SubscriptionConfirmation', false], ['SubscriptionConfirmation', false],
      ['SubscriptionConfirmation', true], ['SubscriptionConfirmation', true]]);
    assert.equal(await page.locator('#retry-all').isHidden(), true);
  } finally {
    await failing.close();
  }
  assert.deepEqual(problems, []);
});
