// Acceptance test: the seed flow of the issue, driven end to end by the AWS
// SDK for JavaScript v3 from npm against a real `trailwatch serve`.
//
// CloudWatch Logs speaks awsJson1_1, CloudWatch awsJson1_0 with
// x-amzn-query-error (what @aws-sdk/client-cloudwatch >= 3.949.0 sends), SNS
// awsQuery. The SNS http subscriber is a real Node http server here; it
// confirms its subscription by GETting the SubscribeURL and checks every
// envelope's signature against the server's signing certificate.
//
// Run: TRAILWATCH_BIN=build/trailwatch node --test seed_flow_test.mjs
// (CTest does this; TW_SHARED_DIR points at ../shared for the CloudTrail file.)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const binary = process.env.TRAILWATCH_BIN ?? path.join(repo, 'build/trailwatch');
const shared = process.env.TW_SHARED_DIR ?? path.resolve(repo, '../shared');
const cloudTrailFile = path.join(
  shared,
  'data/cloudtrail/aws_dataset/218007301253_CloudTrail_us-east-1_20230710T1220Z_ovtmbuX3ENJ119uH.json',
);

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'AKIDJSACCEPTANCE', secretAccessKey: 'js-acceptance-secret-key' };
const GROUP = 'CloudTrail/DefaultLogGroup';
const STREAM = '123456789012_CloudTrail_us-east-1';
const NAMESPACE = 'CloudTrailMetrics';
const METRIC = 'IAMPolicyEventCount';
const ALARM = 'IAMPolicyChangeAlarm';
const TOPIC = 'trailwatch-js-alarms';

// The CIS IAM policy-change pattern, from the one place it is written down.
function iamPattern() {
  const template = fs.readFileSync(path.join(repo, 'examples/iam-policy-change.yaml'), 'utf8');
  const m = template.match(/^\s*FilterPattern: '([^']+)'$/m);
  assert.ok(m, 'examples/iam-policy-change.yaml has a FilterPattern line');
  assert.equal(m[1].split('$.eventName=').length - 1, 16, 'the pattern names 16 events');
  return m[1];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An unsigned GET on a connection of its own (Connection: close), as an SNS
// subscriber's HTTP library would make it. fetch() would keep the connection
// for the server's whole Keep-Alive hint, and an idle kept-alive connection
// holds up the server's shutdown (see the after() hook).
function httpGet(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

async function waitUntil(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

// --- the server under test -------------------------------------------------

let server;     // { child, url, log: string[], exited: Promise<number> }
let receiver;   // { url, messages: [{headers, body, json, at}] , close() }
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-js-'));

async function startServer() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [
    'serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`,
    '--access-key', `${credentials.accessKeyId}:${credentials.secretAccessKey}`,
    '--account-id', ACCOUNT, '--region', REGION, '--early-alarm',
    // The receiver is on 127.0.0.1, which serve refuses as an endpoint by default.
    '--allow-endpoint', '127.0.0.1/32',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  let listening = false;
  const ready = new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        log.push(line);
        if (!listening && line.includes(`listening on ${url}`)) {
          listening = true;
          resolve();
        }
      }
    });
    child.stdout.on('data', (chunk) => log.push(String(chunk)));
    exited.then((code) => reject(new Error(`trailwatch serve exited (${code}):\n${log.join('\n')}`)));
    setTimeout(() => reject(new Error(`trailwatch serve did not listen within 10 s:\n${log.join('\n')}`)),
      10_000).unref();
  });
  await ready;
  return { child, url, log, exited };
}

// An SNS http(s) subscriber: records every POST and answers 200.
async function startReceiver() {
  const messages = [];
  const s = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json;
      try { json = JSON.parse(body); } catch { json = undefined; }
      messages.push({ method: req.method, url: req.url, headers: req.headers, body, json, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${s.address().port}/sns/hook`,
    messages,
    close: () => new Promise((resolve) => { s.closeAllConnections?.(); s.close(resolve); }),
  };
}

// Checks an SNS envelope's signature (SignatureVersion 1: SHA1withRSA, 2:
// SHA256withRSA) over SNS's canonical string, with the certificate fetched
// from SigningCertURL.
async function assertSignedEnvelope(envelope) {
  const keys = envelope.Type === 'Notification'
    ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let canonical = '';
  for (const k of keys) {
    if (envelope[k] === undefined) continue;
    canonical += `${k}\n${envelope[k]}\n`;
  }
  assert.ok(envelope.SigningCertURL.startsWith(server.url), envelope.SigningCertURL);
  const cert = (await httpGet(envelope.SigningCertURL)).text;
  assert.match(cert, /BEGIN CERTIFICATE/);
  const algorithm = envelope.SignatureVersion === '2' ? 'sha256' : 'sha1';
  assert.ok(['1', '2'].includes(envelope.SignatureVersion), envelope.SignatureVersion);
  const ok = crypto.verify(algorithm, Buffer.from(canonical, 'utf8'), cert,
    Buffer.from(envelope.Signature, 'base64'));
  assert.ok(ok, `the ${envelope.Type} signature verifies`);
}

// Every request a client sent (signed, compressed) and the raw response.
function capture(client) {
  const log = [];
  client.middlewareStack.add((next) => async (args) => {
    const entry = { request: args.request };
    log.push(entry);
    try {
      const out = await next(args);
      entry.response = out.response;
      return out;
    } catch (e) {
      entry.response = e.$response;
      throw e;
    }
  }, { step: 'deserialize', name: 'trailwatchCapture', priority: 'high' });
  return log;
}

let logs, cw, sns, logsWire, cwWire, snsWire;
let failed = false;

before(async () => {
  receiver = await startReceiver();
  server = await startServer();
  const config = { endpoint: server.url, region: REGION, credentials, maxAttempts: 1 };
  logs = new CloudWatchLogsClient(config);
  cw = new CloudWatchClient(config);
  sns = new SNSClient(config);
  logsWire = capture(logs);
  cwWire = capture(cw);
  snsWire = capture(sns);
});

after(async () => {
  // Close the SDK clients' pooled connections first: cpp-httplib 0.11 lets a
  // worker sit out an idle keep-alive connection for the whole keep-alive
  // timeout before Stop() can join it, and the test would wait for that.
  for (const c of [logs, cw, sns]) c?.destroy();
  await receiver?.close();
  if (server) {
    server.child.kill('SIGTERM');
    let timer;
    const code = await Promise.race([server.exited, new Promise((resolve) => {
      timer = setTimeout(() => resolve('no exit within 10 s'), 10_000);
    })]);
    clearTimeout(timer);
    if (failed || code !== 0) {
      console.error(`--- trailwatch serve log (exit ${code}) ---\n${server.log.join('\n')}`);
    }
    assert.equal(code, 0, 'trailwatch serve stops cleanly on SIGTERM');
  }
  if (!failed) fs.rmSync(dataDir, { recursive: true, force: true });
});

// Runs one step; the server log is printed at the end when any step failed.
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });
}

// State shared by the steps, which run in order.
const seed = {};

step('log group, log stream and the CIS IAM metric filter', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
  await logs.send(new PutMetricFilterCommand({
    logGroupName: GROUP,
    filterName: 'IAMPolicyChanges',
    filterPattern: iamPattern(),
    metricTransformations: [{
      metricName: METRIC, metricNamespace: NAMESPACE, metricValue: '1', defaultValue: 0,
    }],
  }));
  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'CloudTrail/' }));
  assert.equal(groups.logGroups.length, 1);
  assert.equal(groups.logGroups[0].logGroupName, GROUP);
  assert.equal(groups.logGroups[0].metricFilterCount, 1);
  assert.equal(groups.logGroups[0].arn, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}:*`);
  const filters = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: GROUP }));
  assert.equal(filters.metricFilters.length, 1);
  const f = filters.metricFilters[0];
  assert.equal(f.filterPattern, iamPattern());
  assert.deepEqual(f.metricTransformations[0].metricName, METRIC);
  assert.equal(f.metricTransformations[0].metricValue, '1');
  assert.equal(f.metricTransformations[0].defaultValue, 0);
  // awsJson1_1 on the wire.
  for (const { request, response } of logsWire) {
    assert.equal(request.headers['content-type'], 'application/x-amz-json-1.1');
    assert.match(request.headers['x-amz-target'], /^Logs_20140328\./);
    assert.equal(response.headers['content-type'], 'application/x-amz-json-1.1');
    assert.ok(response.headers['x-amzn-requestid']);
  }
});

step('topic and a confirmed http subscription', async () => {
  const topic = await sns.send(new CreateTopicCommand({ Name: TOPIC }));
  assert.equal(topic.TopicArn, `arn:aws:sns:${REGION}:${ACCOUNT}:${TOPIC}`);
  seed.topicArn = topic.TopicArn;
  const sub = await sns.send(new SubscribeCommand({
    TopicArn: seed.topicArn, Protocol: 'http', Endpoint: receiver.url,
  }));
  assert.equal(sub.SubscriptionArn, 'pending confirmation');

  const confirmation = await waitUntil('the SubscriptionConfirmation POST', 5000, () =>
    receiver.messages.find((m) => m.json?.Type === 'SubscriptionConfirmation'));
  assert.equal(confirmation.method, 'POST');
  assert.equal(confirmation.url, '/sns/hook');
  assert.equal(confirmation.headers['x-amz-sns-message-type'], 'SubscriptionConfirmation');
  assert.equal(confirmation.headers['x-amz-sns-topic-arn'], seed.topicArn);
  assert.equal(confirmation.headers['x-amz-sns-subscription-arn'], undefined);
  const envelope = confirmation.json;
  assert.equal(envelope.TopicArn, seed.topicArn);
  assert.ok(envelope.Token.length > 0);
  assert.ok(envelope.SubscribeURL.startsWith(`${server.url}/?Action=ConfirmSubscription`), envelope.SubscribeURL);
  await assertSignedEnvelope(envelope);

  const pending = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: seed.topicArn }));
  assert.equal(pending.Subscriptions.length, 1);
  assert.equal(pending.Subscriptions[0].SubscriptionArn, 'PendingConfirmation');

  // The subscriber confirms by GETting SubscribeURL, unsigned, as SNS users do.
  const confirmed = await httpGet(envelope.SubscribeURL);
  assert.equal(confirmed.status, 200);
  assert.match(confirmed.headers['content-type'], /xml/);
  const xml = confirmed.text;
  const arn = xml.match(/<SubscriptionArn>([^<]+)<\/SubscriptionArn>/)?.[1];
  assert.ok(arn?.startsWith(`${seed.topicArn}:`), xml);
  seed.subscriptionArn = arn;

  const list = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: seed.topicArn }));
  assert.deepEqual(list.Subscriptions.map((s) => [s.SubscriptionArn, s.Protocol, s.Endpoint, s.TopicArn, s.Owner]),
    [[arn, 'http', receiver.url, seed.topicArn, ACCOUNT]]);
});

step('put-metric-alarm on the filter metric, with the topic as action', async () => {
  const before = Date.now();
  await cw.send(new PutMetricAlarmCommand({
    AlarmName: ALARM,
    AlarmDescription: 'CIS 3.4: IAM policy changes',
    MetricName: METRIC,
    Namespace: NAMESPACE,
    Statistic: 'Maximum',
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [seed.topicArn],
  }));
  const { MetricAlarms: alarms, CompositeAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }));
  assert.deepEqual(CompositeAlarms, []);
  assert.equal(alarms.length, 1);
  const a = alarms[0];
  assert.equal(a.AlarmArn, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${ALARM}`);
  assert.equal(a.Statistic, 'Maximum');
  assert.equal(a.Period, 300);
  assert.equal(a.EvaluationPeriods, 1);
  assert.equal(a.Threshold, 0);
  assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
  assert.equal(a.TreatMissingData, 'notBreaching');
  assert.equal(a.ActionsEnabled, true);
  assert.deepEqual(a.AlarmActions, [seed.topicArn]);
  assert.deepEqual(a.OKActions, []);
  assert.deepEqual(a.Dimensions, []);
  // A minute boundary may already have evaluated it (no data, notBreaching: OK).
  assert.ok(['INSUFFICIENT_DATA', 'OK'].includes(a.StateValue), a.StateValue);
  // Timestamps travel as epoch seconds and come back as Dates.
  assert.ok(a.AlarmConfigurationUpdatedTimestamp instanceof Date);
  assert.ok(Math.abs(a.AlarmConfigurationUpdatedTimestamp.getTime() - before) < 5000);
  assert.ok(a.StateUpdatedTimestamp instanceof Date);
});

step('a CloudTrail DeletePolicy record puts the alarm in ALARM and notifies within 2 s', async () => {
  const records = JSON.parse(fs.readFileSync(cloudTrailFile, 'utf8')).Records;
  const record = records.find((r) => r.eventName === 'DeletePolicy');
  assert.ok(record, 'the file holds a DeletePolicy record');
  const now = new Date();
  record.eventTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  seed.message = JSON.stringify(record);
  seed.timestamp = now.getTime();

  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: GROUP, logStreamName: STREAM,
    logEvents: [{ timestamp: seed.timestamp, message: seed.message }],
  }));
  const putAt = Date.now();
  assert.equal(put.rejectedLogEventsInfo, undefined);

  const alarm = await waitUntil('describe-alarms to show ALARM', 2000, async () => {
    const { MetricAlarms } = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [ALARM] }));
    return MetricAlarms[0].StateValue === 'ALARM' ? MetricAlarms[0] : undefined;
  });
  // CloudWatch's wording for a one-datapoint alarm, then trailwatch's note.
  assert.match(alarm.StateReason,
    /^Threshold Crossed: 1 datapoint \[1\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:00\)\] was greater than the threshold \(0\.0\)\./);
  const reasonData = JSON.parse(alarm.StateReasonData);
  assert.deepEqual(reasonData.recentDatapoints, [1.0]);
  assert.equal(reasonData.threshold, 0);

  const note = await waitUntil('the alarm notification', Math.max(1, putAt + 2000 - Date.now()), () =>
    receiver.messages.find((m) => m.json?.Type === 'Notification' && m.json.Subject?.startsWith('ALARM')));
  assert.ok(note.at - putAt <= 2000, `notified ${note.at - putAt} ms after PutLogEvents`);
  assert.equal(note.headers['x-amz-sns-message-type'], 'Notification');
  assert.equal(note.headers['x-amz-sns-topic-arn'], seed.topicArn);
  assert.equal(note.headers['x-amz-sns-subscription-arn'], seed.subscriptionArn);
  assert.equal(note.headers['x-amz-sns-message-id'], note.json.MessageId);
  assert.match(note.headers['content-type'], /^text\/plain; charset=UTF-8$/i);
  const envelope = note.json;
  assert.equal(envelope.TopicArn, seed.topicArn);
  assert.equal(envelope.Subject, `ALARM: "${ALARM}" in US East (N. Virginia)`);
  assert.match(envelope.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(envelope.UnsubscribeURL.startsWith(`${server.url}/?Action=Unsubscribe`));
  await assertSignedEnvelope(envelope);

  const message = JSON.parse(envelope.Message);
  assert.equal(message.AlarmName, ALARM);
  assert.equal(message.AlarmDescription, 'CIS 3.4: IAM policy changes');
  assert.equal(message.AWSAccountId, ACCOUNT);
  assert.equal(message.NewStateValue, 'ALARM');
  assert.ok(['INSUFFICIENT_DATA', 'OK'].includes(message.OldStateValue));
  assert.equal(message.NewStateReason, alarm.StateReason);
  assert.equal(message.Region, 'US East (N. Virginia)');
  assert.equal(message.AlarmArn, alarm.AlarmArn);
  assert.deepEqual(message.AlarmActions, [seed.topicArn]);
  assert.equal(message.Trigger.MetricName, METRIC);
  assert.equal(message.Trigger.Namespace, NAMESPACE);
  assert.equal(message.Trigger.Statistic, 'MAXIMUM');
  assert.equal(message.Trigger.Period, 300);
  assert.equal(message.Trigger.ComparisonOperator, 'GreaterThanThreshold');
  assert.equal(message.Trigger.TreatMissingData, 'notBreaching');
  // trailwatch's addition, beside CloudWatch's message: who did what, from where.
  assert.equal(message.Evidence, undefined);
  assert.deepEqual(Object.keys(envelope.MessageAttributes), ['trailwatch.evidence']);
  assert.equal(envelope.MessageAttributes['trailwatch.evidence'].Type, 'String');
  const attribute = JSON.parse(envelope.MessageAttributes['trailwatch.evidence'].Value);
  assert.equal(attribute.total, 1);
  assert.equal(attribute.events.length, 1);
  const evidence = attribute.events[0];
  assert.equal(evidence.eventName, 'DeletePolicy');
  assert.equal(evidence.eventSource, 'iam.amazonaws.com');
  assert.equal(evidence.eventTime, record.eventTime);
  assert.equal(evidence.principal, record.userIdentity.arn);
  assert.match(evidence.principal, /user\/bert-jan$/);
  assert.equal(evidence.sourceIPAddress, '192.168.10.20');
  assert.deepEqual(evidence.requestParameters, record.requestParameters);
  seed.alarmMessageId = envelope.MessageId;
});

step('GetLogEvents returns the record as sent', async () => {
  const got = await logs.send(new GetLogEventsCommand({
    logGroupName: GROUP, logStreamName: STREAM, startFromHead: true,
  }));
  assert.equal(got.events.length, 1);
  assert.equal(got.events[0].message, seed.message);
  assert.equal(got.events[0].timestamp, seed.timestamp);
  assert.ok(got.events[0].ingestionTime >= seed.timestamp - 1000);
  assert.match(got.nextForwardToken, /^f\//);
  assert.match(got.nextBackwardToken, /^b\//);
});

step('GetMetricStatistics, GetMetricData and ListMetrics see the filter metric', async () => {
  const minute = Math.floor(seed.timestamp / 60_000) * 60_000;
  const stats = await cw.send(new GetMetricStatisticsCommand({
    Namespace: NAMESPACE, MetricName: METRIC,
    StartTime: new Date(minute - 10 * 60_000), EndTime: new Date(minute + 5 * 60_000),
    Period: 60, Statistics: ['Maximum', 'Sum', 'SampleCount', 'Minimum', 'Average'],
  }));
  assert.equal(stats.Label, METRIC);
  assert.equal(stats.Datapoints.length, 1);
  const p = stats.Datapoints[0];
  assert.ok(p.Timestamp instanceof Date);
  assert.equal(p.Timestamp.getTime(), minute);
  assert.deepEqual([p.Maximum, p.Sum, p.SampleCount, p.Minimum, p.Average], [1, 1, 1, 1, 1]);

  const data = await cw.send(new GetMetricDataCommand({
    StartTime: new Date(minute - 10 * 60_000), EndTime: new Date(minute + 5 * 60_000),
    MetricDataQueries: [
      { Id: 'iam', MetricStat: { Metric: { Namespace: NAMESPACE, MetricName: METRIC }, Period: 300, Stat: 'Maximum' } },
      { Id: 'count', MetricStat: { Metric: { Namespace: NAMESPACE, MetricName: METRIC }, Period: 60, Stat: 'SampleCount' }, Label: 'events' },
    ],
  }));
  const [iam, count] = data.MetricDataResults;
  assert.equal(iam.Id, 'iam');
  assert.equal(iam.StatusCode, 'Complete');
  assert.deepEqual(iam.Values, [1]);
  assert.ok(iam.Timestamps[0] instanceof Date);
  assert.equal(count.Label, 'events');
  assert.deepEqual(count.Values, [1]);
  assert.deepEqual(count.Timestamps.map((t) => t.getTime()), [minute]);

  const listed = await cw.send(new ListMetricsCommand({ Namespace: NAMESPACE }));
  assert.deepEqual(listed.Metrics, [{ Namespace: NAMESPACE, MetricName: METRIC, Dimensions: [] }]);
});

step('DescribeAlarmHistory tells the story: created, ALARM, action', async () => {
  const { AlarmHistoryItems: items } = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: ALARM }));
  const types = items.map((i) => i.HistoryItemType);
  assert.ok(types.includes('ConfigurationUpdate'), types.join());
  const created = items.find((i) => i.HistoryItemType === 'ConfigurationUpdate');
  assert.equal(created.HistorySummary, `Alarm "${ALARM}" created`);
  const toAlarm = items.find((i) => i.HistoryItemType === 'StateUpdate' && /to ALARM$/.test(i.HistorySummary));
  assert.ok(toAlarm, JSON.stringify(items));
  const data = JSON.parse(toAlarm.HistoryData);
  assert.equal(data.newState.stateValue, 'ALARM');
  const action = items.find((i) => i.HistoryItemType === 'Action');
  assert.ok(action, 'an Action item for the SNS publish');
  assert.equal(action.HistorySummary, `Successfully executed action ${seed.topicArn}`);
  for (const i of items) {
    assert.equal(i.AlarmName, ALARM);
    assert.equal(i.AlarmType, 'MetricAlarm');
    assert.ok(i.Timestamp instanceof Date);
  }
  // Newest first by default.
  const times = items.map((i) => i.Timestamp.getTime());
  assert.deepEqual(times, [...times].sort((x, y) => y - x));
  const onlyState = await cw.send(new DescribeAlarmHistoryCommand({
    AlarmName: ALARM, HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending',
  }));
  assert.ok(onlyState.AlarmHistoryItems.length >= 1);
  assert.ok(onlyState.AlarmHistoryItems.every((i) => i.HistoryItemType === 'StateUpdate'));
});

step('FilterLogEvents pages through a larger stream; GetLogEvents follows its tokens', async () => {
  const group = '/trailwatch/js-paging';
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'a' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'b' }));
  const base = Date.now() - 60_000;
  const events = (stream, offset) => Array.from({ length: 20 }, (_, i) => ({
    timestamp: base + 2 * i + offset,
    message: JSON.stringify({ n: 2 * i + offset, stream, kind: i % 3 === 0 ? 'three' : 'other' }),
  }));
  await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'a', logEvents: events('a', 0) }));
  await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'b', logEvents: events('b', 1) }));

  // By hand: 40 events, 15 a page.
  const pages = [];
  let nextToken;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: group, limit: 15, nextToken }));
    pages.push(page.events);
    nextToken = page.nextToken;
    assert.ok(pages.length < 10, 'pagination ends');
  } while (nextToken);
  const all = pages.flat();
  assert.deepEqual(pages.map((p) => p.length).filter((n) => n > 0), [15, 15, 10]);
  assert.deepEqual(all.map((e) => JSON.parse(e.message).n), Array.from({ length: 40 }, (_, i) => i));
  assert.deepEqual(all.map((e) => e.logStreamName), all.map((e) => JSON.parse(e.message).stream));
  assert.equal(new Set(all.map((e) => e.eventId)).size, 40, 'eventIds are unique');

  // With the SDK's paginator and a pattern.
  const matched = [];
  for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 4 },
    { logGroupName: group, filterPattern: '{ $.kind = "three" }', startTime: base, endTime: base + 40 })) {
    assert.ok(page.events.length <= 4);
    matched.push(...page.events);
  }
  assert.deepEqual(matched.map((e) => JSON.parse(e.message).n), [0, 1, 6, 7, 12, 13, 18, 19, 24, 25, 30, 31, 36, 37]);
  // The same eventIds as the unfiltered listing.
  const ids = new Map(all.map((e) => [JSON.parse(e.message).n, e.eventId]));
  for (const e of matched) assert.equal(e.eventId, ids.get(JSON.parse(e.message).n));

  // GetLogEvents forward from the head until the token repeats.
  const seen = [];
  let token;
  for (let i = 0; i < 10; ++i) {
    const page = await logs.send(new GetLogEventsCommand({
      logGroupName: group, logStreamName: 'a', startFromHead: true, limit: 8, nextToken: token,
    }));
    seen.push(...page.events);
    if (page.nextForwardToken === token) break;
    token = page.nextForwardToken;
  }
  assert.deepEqual(seen.map((e) => JSON.parse(e.message).n), Array.from({ length: 20 }, (_, i) => 2 * i));
  // Without startFromHead the newest page comes first (events still ascending within it).
  const newest = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'b', limit: 5 }));
  assert.deepEqual(newest.events.map((e) => JSON.parse(e.message).n), [31, 33, 35, 37, 39]);
});

step('SNS Publish reaches the http subscriber, signed, with its attributes', async () => {
  const published = await sns.send(new PublishCommand({
    TopicArn: seed.topicArn, Subject: 'hello from js', Message: 'trailwatch says hi',
    MessageAttributes: { team: { DataType: 'String', StringValue: 'security' } },
  }));
  assert.match(published.MessageId, /^[0-9a-f-]{36}$/);
  const note = await waitUntil('the published notification', 3000, () =>
    receiver.messages.find((m) => m.json?.MessageId === published.MessageId));
  const envelope = note.json;
  assert.equal(envelope.Type, 'Notification');
  assert.equal(envelope.Subject, 'hello from js');
  assert.equal(envelope.Message, 'trailwatch says hi');
  assert.deepEqual(envelope.MessageAttributes, { team: { Type: 'String', Value: 'security' } });
  await assertSignedEnvelope(envelope);
  for (const { request, response } of snsWire) {
    assert.match(request.headers['content-type'], /^application\/x-www-form-urlencoded/);
    assert.match(response.headers['content-type'], /xml/);
  }
});

step('a large PutMetricData travels gzip-compressed and is counted exactly', async () => {
  const namespace = 'Trailwatch/JsBulk';
  const timestamp = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
  const expected = new Map();  // shard -> {count, sum, min, max}
  const MetricData = [];
  for (let i = 0; i < 200; ++i) {
    const shard = `shard-${i % 8}`;
    const Values = Array.from({ length: 10 }, (_, k) => (i * 7 + k * 13) % 101 + 0.25);
    const Counts = Values.map((_, k) => 1 + (k % 3));
    MetricData.push({
      MetricName: 'Latency', Unit: 'Milliseconds', Timestamp: timestamp,
      Dimensions: [{ Name: 'Shard', Value: shard }, { Name: 'Service', Value: 'trailwatch-acceptance' }],
      Values, Counts,
    });
    const e = expected.get(shard) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
    Values.forEach((v, k) => {
      e.count += Counts[k];
      e.sum += v * Counts[k];
      e.min = Math.min(e.min, v);
      e.max = Math.max(e.max, v);
    });
    expected.set(shard, e);
  }
  const sent = cwWire.length;
  await cw.send(new PutMetricDataCommand({ Namespace: namespace, MetricData }));
  const { request, response } = cwWire[sent];
  assert.equal(request.headers['x-amz-target'], 'GraniteServiceVersion20100801.PutMetricData');
  assert.equal(request.headers['content-encoding'], 'gzip');
  const body = Buffer.from(request.body);
  const plain = zlib.gunzipSync(body);
  assert.ok(plain.length >= 10240, `the JSON body is ${plain.length} bytes`);
  assert.ok(body.length < plain.length);
  // The signature covers the compressed bytes.
  assert.equal(request.headers['x-amz-content-sha256'], crypto.createHash('sha256').update(body).digest('hex'));
  assert.match(request.headers.authorization, /SignedHeaders=[^,]*content-encoding/);
  assert.equal(response.statusCode, 200);

  for (const [shard, e] of expected) {
    const stats = await cw.send(new GetMetricStatisticsCommand({
      Namespace: namespace, MetricName: 'Latency',
      Dimensions: [{ Name: 'Service', Value: 'trailwatch-acceptance' }, { Name: 'Shard', Value: shard }],
      StartTime: new Date(timestamp.getTime() - 60_000), EndTime: new Date(timestamp.getTime() + 120_000),
      Period: 180, Statistics: ['SampleCount', 'Sum', 'Minimum', 'Maximum'],
    }));
    assert.equal(stats.Datapoints.length, 1, shard);
    const p = stats.Datapoints[0];
    assert.equal(p.SampleCount, e.count, shard);
    assert.ok(Math.abs(p.Sum - e.sum) < 1e-6, `${shard}: ${p.Sum} vs ${e.sum}`);
    assert.equal(p.Minimum, e.min);
    assert.equal(p.Maximum, e.max);
    assert.equal(p.Unit, 'Milliseconds');
  }
  const listed = await cw.send(new ListMetricsCommand({ Namespace: namespace, Dimensions: [{ Name: 'Shard' }] }));
  assert.equal(listed.Metrics.length, 8);
  assert.deepEqual(listed.Metrics[0].Dimensions.map((d) => d.Name).sort(), ['Service', 'Shard']);
});

step('each client gets its service\'s modelled error', async () => {
  // Logs (JSON 1.1).
  await assert.rejects(
    logs.send(new GetLogEventsCommand({ logGroupName: '/no/such/group', logStreamName: 's' })),
    (e) => {
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.equal(e.message, 'The specified log group does not exist.');
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.equal(e.$fault, 'client');
      return true;
    });
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: GROUP })),
    (e) => e.name === 'ResourceAlreadyExistsException');

  // CloudWatch (JSON 1.0, query-compatible: the awsQuery code rides in x-amzn-query-error).
  await assert.rejects(
    cw.send(new SetAlarmStateCommand({ AlarmName: 'NoSuchAlarm', StateValue: 'OK', StateReason: 'test' })),
    (e) => {
      assert.equal(e.name, 'ResourceNotFound');
      assert.equal(e.Code, 'ResourceNotFound');
      assert.equal(e.$metadata.httpStatusCode, 404);
      // AWS's recorded answer carries no message; the SDK then says UnknownError.
      assert.equal(e.message, 'UnknownError');
      assert.equal(e.$response.headers['x-amzn-query-error'], 'ResourceNotFound;Sender');
      assert.equal(e.$response.headers['content-type'], 'application/x-amz-json-1.0');
      return true;
    });
  await assert.rejects(
    cw.send(new GetMetricStatisticsCommand({
      Namespace: NAMESPACE, MetricName: METRIC, StartTime: new Date(), EndTime: new Date(Date.now() - 60_000),
      Period: 60, Statistics: ['Sum'],
    })),
    (e) => {
      assert.equal(e.name, 'InvalidParameterValueException');
      assert.equal(e.Code, 'InvalidParameterValue');
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });

  // SNS (awsQuery).
  await assert.rejects(
    sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:no-such-topic`, Message: 'x' })),
    (e) => {
      assert.equal(e.name, 'NotFoundException');
      assert.equal(e.$metadata.httpStatusCode, 404);
      return true;
    });
  await assert.rejects(
    sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:no-such-topic` })),
    (e) => e.name === 'NotFoundException');
});

step('CloudWatch spoke awsJson1_0 throughout, signed as JS signs', async () => {
  assert.ok(cwWire.length >= 10);
  for (const { request, response } of cwWire) {
    assert.equal(request.headers['content-type'], 'application/x-amz-json-1.0');
    assert.match(request.headers['x-amz-target'], /^GraniteServiceVersion20100801\./);
    assert.equal(request.headers['x-amzn-query-mode'], 'true');
    assert.match(request.headers.authorization, /Credential=AKIDJSACCEPTANCE\/\d{8}\/us-east-1\/monitoring\/aws4_request/);
    assert.equal(response.headers['content-type'], 'application/x-amz-json-1.0');
    assert.ok(response.headers['x-amzn-requestid']);
    assert.ok(response.headers.date);
  }
  // Nothing but the alarm and the publish reached the subscriber (plus the confirmation).
  const types = receiver.messages.map((m) => m.json?.Type);
  assert.deepEqual(types.sort(), ['Notification', 'Notification', 'SubscriptionConfirmation']);
});
