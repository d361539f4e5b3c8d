// The alarm e-mail's HTML part as a mail reader shows it: Debian's chromium
// (driven by playwright-core) at a desktop and a phone width. The mail comes
// from `trailwatch replay --notify` into a Maildir, as a user's first try
// would make it. Screenshots: <build>/console-screenshots/email-*.png.

import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {promisify} from 'node:util';

import {BINARY, SOURCE_DIR, launchBrowser, shot, sidewaysOverflow} from './harness.mjs';

// The text/html part of a MIME message, its quoted-printable undone.
function htmlPart(mail) {
  const at = mail.search(/Content-Type: text\/html/i);
  assert.ok(at >= 0, 'the mail has an HTML part');
  const part = mail.slice(at);
  const bodyStart = part.indexOf('\r\n\r\n') + 4;
  const boundary = part.indexOf('\r\n--', bodyStart);
  const encoded = part.slice(bodyStart, boundary < 0 ? undefined : boundary);
  assert.match(part.slice(0, bodyStart), /Content-Transfer-Encoding: quoted-printable/i);
  const bytes = [];
  const soft = encoded.replace(/=\r\n/g, '');
  for (let i = 0; i < soft.length; ++i) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

let work;
let browser;
let htmlFile;

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-email-'));
  await promisify(execFile)(BINARY, [
    'replay', '--notify', '--data-dir', path.join(work, 'data'),
    '--public-url', 'https://trailwatch.example.org',
    '--template', path.join(SOURCE_DIR, 'examples', 'iam-policy-change.yaml'),
    path.join(SOURCE_DIR, 'examples', 'sample-cloudtrail.json')]);
  const maildir = path.join(work, 'data', 'maildir', 'new');
  const mails = fs.readdirSync(maildir).map((name) => fs.readFileSync(path.join(maildir, name), 'latin1'))
      .filter((m) => /^Subject: ALARM: /m.test(m));
  assert.equal(mails.length, 1);
  htmlFile = path.join(work, 'mail.html');
  fs.writeFileSync(htmlFile, htmlPart(mails[0]));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  fs.rmSync(work, {recursive: true, force: true});
});

for (const [name, width, height] of [['desktop', 1440, 900], ['phone', 390, 844]]) {
  test(`the alarm mail at ${width} px: a banner, the evidence, no sideways scrolling`, async () => {
    const page = await browser.newPage({viewport: {width, height}});
    await page.goto(`file://${htmlFile}`);
    const banner = page.locator('.banner');
    assert.equal(await banner.textContent(), 'ALARM: IAMPolicyChanges');
    assert.equal(await banner.evaluate((e) => getComputedStyle(e).backgroundColor), 'rgb(180, 35, 24)');
    assert.ok(await banner.isVisible());
    // Nothing wider than the screen (the old <pre> was 1,620 px on a phone).
    const overflow = await sidewaysOverflow(page);
    assert.ok(overflow <= 0, `the mail is ${overflow} px wider than the ${width} px screen`);
    // A sans-serif face, not the browser's Times.
    assert.match(await page.evaluate(() => getComputedStyle(document.body).fontFamily), /sans-serif$/);
    // "What happened" comes before the details, and names who and from where.
    const order = await page.evaluate(() => [...document.querySelectorAll('h2')].map((h) => h.textContent));
    assert.deepEqual(order, ['What happened', 'Details']);
    assert.ok((await page.locator('.event .who').count()) >= 1);
    // The console link is trailwatch's.
    assert.equal(await page.locator('a.console').getAttribute('href'),
        'https://trailwatch.example.org/console/#/alarms/IAMPolicyChanges');
    await shot(page, `email-${name}`);
    await page.close();
  });
}
