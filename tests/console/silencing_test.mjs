// Muting an alarm and reminders from the console (issue 15, "Silencing"),
// in Debian's chromium against a real `trailwatch serve`, with a real HTTP
// subscriber:
//   - "Mute 1 h" on the alarm's page sets the tag trailwatch:MutedUntil
//     (TagResource, as the aws CLI would); the page and the list say until when;
//   - a transition while muted changes the state and its history says which
//     action it did not run; the subscriber gets nothing from it (another
//     alarm's message, sent after it, arrives);
//   - choosing reminders sets trailwatch:RemindEvery; "Unmute now" removes the
//     mute; each change is a ConfigurationUpdate in the history;
//   - at 390 px nothing overflows sideways; no CSP violation, no script error.
// Screenshots: silencing-detail-desktop, silencing-detail-phone, silencing-list.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';

import {
  expectText, pageWatcher, serveWithSubscriber, shot, sidewaysOverflow, signIn, stopServer, waitFor, waitUntil,
} from './harness.mjs';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-silencing-'));
let server;
let receiver;
let browser;
let aws;
const {problems, watch} = pageWatcher();

before(async () => {
  ({server, aws, receiver, browser} = await serveWithSubscriber(scratch));
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await stopServer(server, scratch);
});

const notifications = (alarm) => receiver.requests
    .filter((r) => r.type === 'Notification' && JSON.parse(JSON.parse(r.body).Message).AlarmName === alarm);

async function tagsOf(arn) {
  const {Tags} = await aws.cloudwatch('ListTagsForResource', {ResourceARN: arn});
  return Object.fromEntries(Tags.map((t) => [t.Key, t.Value]));
}

test('mute, reminders and unmute from the alarm page', {timeout: 120_000}, async () => {
  // A topic whose HTTP subscription to the receiver is confirmed.
  const topicArn = /<TopicArn>([^<]+)</.exec(await aws.sns({Action: 'CreateTopic', Name: 'oncall'}))[1];
  await aws.sns({Action: 'Subscribe', TopicArn: topicArn, Protocol: 'http', Endpoint: receiver.url});
  await waitUntil(() => receiver.requests.some((r) => r.type === 'SubscriptionConfirmation'), 'the confirmation');
  const confirmation = JSON.parse(receiver.requests.find((r) => r.type === 'SubscriptionConfirmation').body);
  await aws.sns({Action: 'ConfirmSubscription', TopicArn: topicArn, Token: confirmation.Token});
  for (const name of ['Deploys', 'Loud']) {
    await aws.cloudwatch('PutMetricAlarm', {AlarmName: name, Namespace: 'App', MetricName: 'Errors',
      Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'ignore', AlarmActions: [topicArn]});
  }
  const {MetricAlarms: [deploys]} = await aws.cloudwatch('DescribeAlarms', {AlarmNames: ['Deploys']});

  const context = await browser.newContext({viewport: {width: 1440, height: 900}, baseURL: server.base});
  const page = watch(await context.newPage());
  await page.goto('/console/#/alarms/Deploys');
  await waitFor(page.locator('#signin-form'));
  await signIn(page);
  await expectText(page.locator('.silencing .mute-state'), 'Notifications are on.');

  // Mute for an hour: the tag, and what the page says.
  const before = Date.now();
  await page.click('button[data-mute="1 h"]');
  await expectText(page.locator('.silencing .mute-state'), /muted until .*Notifications are muted/);
  const until = Date.parse((await tagsOf(deploys.AlarmArn))['trailwatch:MutedUntil']);
  assert.ok(until >= before + 3600e3 - 1000 && until <= Date.now() + 3600e3, `muted until ${until}`);
  await expectText(page.locator('section[aria-labelledby="s-history"]'), 'Notifications muted until');

  // A transition while muted: state and history, no message.
  await aws.cloudwatch('SetAlarmState', {AlarmName: 'Deploys', StateValue: 'ALARM', StateReason: 'in the window'});
  await aws.cloudwatch('SetAlarmState', {AlarmName: 'Loud', StateValue: 'ALARM', StateReason: 'outside it'});
  await waitUntil(() => notifications('Loud').length === 1, "the unmuted alarm's notification");
  assert.equal(notifications('Deploys').length, 0);
  await expectText(page.locator('section[aria-labelledby="s-history"]'), `did not execute action ${topicArn}`);
  await expectText(page.locator('.head-state'), 'ALARM');

  // Reminders every 4 hours.
  await page.selectOption('#remind-every', '4h');
  await waitUntil(async () => (await tagsOf(deploys.AlarmArn))['trailwatch:RemindEvery'] === '4h', 'the reminder tag');
  await expectText(page.locator('section[aria-labelledby="s-history"]'), 'Reminders every 4h while in ALARM');
  await shot(page, 'silencing-detail-desktop');

  // The list shows the mute.
  await page.goto('/console/#/alarms');
  await expectText(page.locator('[data-alarm="Deploys"] .muted-chip'), 'muted until');
  assert.equal(await page.locator('[data-alarm="Loud"] .muted-chip').count(), 0);
  await shot(page, 'silencing-list');

  // On a phone, then unmute.
  await page.setViewportSize({width: 390, height: 844});
  await page.goto('/console/#/alarms/Deploys');
  await expectText(page.locator('.silencing .mute-state'), 'muted until');
  assert.ok(await sidewaysOverflow(page) <= 0, 'the alarm page fits 390 px');
  await shot(page, 'silencing-detail-phone');
  await page.click('#unmute');
  await expectText(page.locator('.silencing .mute-state'), 'Notifications are on.');
  assert.equal((await tagsOf(deploys.AlarmArn))['trailwatch:MutedUntil'], undefined);
  await expectText(page.locator('section[aria-labelledby="s-history"]'), 'Notifications unmuted');

  // Unmuted, the next transition notifies.
  await aws.cloudwatch('SetAlarmState', {AlarmName: 'Deploys', StateValue: 'OK', StateReason: 'fixed'});
  await aws.cloudwatch('SetAlarmState', {AlarmName: 'Deploys', StateValue: 'ALARM', StateReason: 'after it'});
  await waitUntil(() => notifications('Deploys').length === 1, 'the notification after unmuting');

  await context.close();
  assert.deepEqual(problems, []);
});
