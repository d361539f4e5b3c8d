// What every browser test of the console needs: where things are, a real
// `trailwatch serve` on 127.0.0.1, AWS calls signed with SigV4 from Node
// (node:crypto, no SDK), an HTTP subscriber, Debian's chromium, and waits
// that fail with what the page showed instead.

import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import assert from 'node:assert/strict';
import {fileURLToPath} from 'node:url';

import {chromium} from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.TW_SOURCE_DIR ?? path.resolve(HERE, '..', '..');
export const SHARED_DIR = process.env.TW_SHARED_DIR ?? path.resolve(SOURCE_DIR, '..', 'shared');
export const BINARY = process.env.TW_BINARY ?? path.join(SOURCE_DIR, 'build', 'trailwatch');
export const SCREENSHOTS = process.env.TW_SCREENSHOT_DIR ??
    path.join(path.dirname(BINARY), 'console-screenshots');
export const CHROMIUM = process.env.TW_CHROMIUM ?? '/usr/bin/chromium';

export const ACCESS_KEY_ID = 'AKIATWCONSOLE0000001';
export const SECRET = 'tw/console+Secret0123456789abcdefGHIJ';
export const REGION = 'us-east-1';
export const STEP = 20_000;  // longest wait for anything the UI should show promptly

// ---- SigV4 (the AWS calls that feed the server) ----

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

function signedHeaders(service, url, body, headers) {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const all = {...headers, host: new URL(url).host, 'x-amz-date': amzDate};
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(all).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  const canonical = ['POST', '/', '', names.map((n) => `${n}:${lower[n]}\n`).join(''), names.join(';'),
    sha256(body)].join('\n');
  const scope = `${day}/${REGION}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${SECRET}`, day);
  for (const part of [REGION, service, 'aws4_request']) key = hmac(key, part);
  const signature = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  delete all.host;  // fetch sends the same Host itself
  all.authorization = `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/${scope}, ` +
      `SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return all;
}

async function awsJson(base, service, contentType, target, input) {
  const body = JSON.stringify(input);
  const response = await fetch(`${base}/`, {
    method: 'POST', body,
    headers: signedHeaders(service, base, body, {'content-type': contentType, 'x-amz-target': target}),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${target}: ${text}`);
  return text ? JSON.parse(text) : {};
}

// The three services of a server at `base` ("http://127.0.0.1:port"):
// logs/cloudwatch take the operation and its JSON input and answer the JSON
// output; sns takes the Query parameters and answers the XML text. Each
// asserts a 200.
export function awsClients(base) {
  return {
    logs: (operation, input) => awsJson(base, 'logs', 'application/x-amz-json-1.1',
        `Logs_20140328.${operation}`, input),
    cloudwatch: (operation, input) => awsJson(base, 'monitoring', 'application/x-amz-json-1.0',
        `GraniteServiceVersion20100801.${operation}`, input),
    async sns(params) {
      const body = new URLSearchParams({...params, Version: '2010-03-31'}).toString();
      const response = await fetch(`${base}/`, {
        method: 'POST', body,
        headers: signedHeaders('sns', base, body, {'content-type': 'application/x-www-form-urlencoded'}),
      });
      const text = await response.text();
      assert.equal(response.status, 200, `${params.Action}: ${text}`);
      return text;
    },
  };
}

// ---- the server, the subscriber, the browser ----

// `trailwatch serve` on a free port of 127.0.0.1 with the test's access key,
// `dataDir` and the extra arguments; resolves to {process, base, log(), stop()}.
export function startServer(dataDir, extraArgs = []) {
  const child = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--access-key', `${ACCESS_KEY_ID}:${SECRET}`,
    '--data-dir', dataDir, ...extraArgs], {cwd: SOURCE_DIR, stdio: ['ignore', 'pipe', 'pipe']});
  let log = '';
  let started = false;
  child.stdout.on('data', (d) => (log += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trailwatch serve did not start:\n${log}`)), 15_000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolve({
          process: child, base: m[1], log: () => log,
          // SIGTERM, and the exit code (0 when it shut down cleanly).
          async stop() {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`trailwatch serve exited (${code}):\n${log}`)));
  });
}

// Stops `server` (when it started), saying so with its log when it did not
// exit cleanly, and removes the test's `scratch` directory.
export async function stopServer(server, scratch) {
  if (server) {
    const code = await server.stop();
    if (code !== 0) console.error(`trailwatch serve exited with ${code}:\n${server.log()}`);
  }
  fs.rmSync(scratch, {recursive: true, force: true});
}

// An HTTP subscriber on 127.0.0.1: answers 200 while `accept` is true, 500
// otherwise; `requests` records each one's SNS message type, body and answer.
export function startReceiver() {
  const state = {accept: false, requests: []};
  const httpServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      state.requests.push({type: req.headers['x-amz-sns-message-type'], body, accepted: state.accept});
      res.writeHead(state.accept ? 200 : 500).end();
    });
  });
  return new Promise((resolve) => httpServer.listen(0, '127.0.0.1', () => {
    state.url = `http://127.0.0.1:${httpServer.address().port}/sns`;
    state.close = () => new Promise((r) => httpServer.close(r));
    resolve(state);
  }));
}

// What a test of changes needs: a server in `scratch` that may deliver to
// 127.0.0.1, its AWS clients, a subscriber that accepts, and the browser.
export async function serveWithSubscriber(scratch) {
  const server = await startServer(path.join(scratch, 'data'), ['--allow-endpoint', '127.0.0.1/32']);
  const receiver = await startReceiver();
  receiver.accept = true;
  return {server, aws: awsClients(server.base), receiver, browser: await launchBrowser()};
}

// Debian's chromium, headless, with a fresh profile of its own (playwright
// refuses --user-data-dir in `args`).
export function launchBrowser() {
  assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Collects what must never happen in a page: CSP violations and script
// errors (`problems`), and every /console/api/ response body (`apiBodies`,
// promises) for the checks that no secret ever reached the browser.
export function pageWatcher() {
  const problems = [];
  const apiBodies = [];
  return {
    problems, apiBodies,
    watch(page) {
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
      page.on('response', (response) => {
        if (!response.url().includes('/console/api/')) return;
        apiBodies.push(response.text().catch(() => ''));
      });
      return page;
    },
  };
}

// Signs the page in with the test's key (it must show the sign-in form).
export async function signIn(page) {
  await page.fill('#access-key-id', ACCESS_KEY_ID);
  await page.fill('#secret-access-key', SECRET);
  await page.click('#signin-form button[type=submit]');
}

export async function shot(page, name) {
  fs.mkdirSync(SCREENSHOTS, {recursive: true});
  await page.screenshot({path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true});
}

// Polls `predicate` (sync or async) every 100 ms until it holds; fails
// naming `what` after STEP.
export async function waitUntil(predicate, what) {
  const deadline = Date.now() + STEP;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const waitFor = (locator, options) => locator.waitFor({timeout: STEP, ...options});

export async function expectText(locator, expected, timeout = STEP) {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    last = (await locator.allTextContents()).join(' ');
    if (expected instanceof RegExp ? expected.test(last) : last.includes(expected)) return last;
    if (Date.now() > deadline) assert.fail(`expected ${expected} in ${locator}, got: ${last.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// How far the page scrolls sideways (0 when nothing overflows the viewport).
export const sidewaysOverflow = (page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
