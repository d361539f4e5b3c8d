// The console's entry module: sign-in, the header, and a hash router.
//
//   #/alarms              every alarm, live
//   #/alarms?create       the form of a new alarm
//   #/alarms/<name>       one alarm (the alarm e-mails link here)
//   #/alarms/<name>?edit  the form, filled with the alarm
//   #/logs                log groups
//   #/logs/<group>        one group: events, pattern tester, metric filters
//   #/topics              topics, deliveries, dead letters
//   #/replay              a replay --json result file, read locally
//
// Names are URL-encoded after the section (%2F for "/"); a page may add
// "?key=value" state (range, pattern) after the name.

import * as api from './api.js';
import {alarmDetailPage, alarmsPage} from './alarms.js';
import {fmtTime, h, setUtc, timeZoneLabel, utc} from './ui.js';

const main = document.getElementById('main');
const signin = document.getElementById('signin');
const form = document.getElementById('signin-form');
const signinError = document.getElementById('signin-error');
const shell = document.getElementById('shell');
const who = document.getElementById('who');

let cleanup = null;  // stops the current page's polling
let routed = false;  // a page has been shown since sign-in

// Only the alarms pages are loaded up front; the other pages' modules (and
// the alarm form's) load on first visit, which keeps the first paint small.
// A loader gets the route's name and query and resolves to the page.
const PAGES = {
  alarms: async (name, query) => {
    if (query.has('create') || query.has('edit')) {
      const m = await import('./alarm_form.js');
      return (main) => m.alarmFormPage(main, query.has('edit') ? name : null);
    }
    return (main) => (name ? alarmDetailPage(main, name, query) : alarmsPage(main));
  },
  logs: async () => {
    const m = await import('./logs.js');
    return (main, name, query) => (name ? m.logGroupPage(main, name, query) : m.logGroupsPage(main));
  },
  topics: async () => (await import('./topics.js')).topicsPage,
  replay: async () => (await import('./replay.js')).replayPage,
};
let routeGeneration = 0;

function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const slash = path.indexOf('/');
  const section = slash < 0 ? path : path.slice(0, slash);
  let name = slash < 0 ? '' : path.slice(slash + 1);
  try {
    name = decodeURIComponent(name);
  } catch {
    // A hand-typed name with a stray %: take it as written.
  }
  return {section: section || 'alarms', name, query};
}

function route() {
  if (!api.session()) return;
  if (cleanup) cleanup();
  cleanup = null;
  main.replaceChildren();
  const {section, name, query} = parseRoute();
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const generation = ++routeGeneration;
  const page = PAGES[section];
  if (!page) {
    main.append(h('h1', {tabindex: -1}, 'Not found'), h('p', null, 'No such page. ',
        h('a', {href: '#/alarms'}, 'Alarms')));
    return;
  }
  page(name, query).then((show) => {
    // Another route (or sign-out) may have come while the module loaded.
    if (generation !== routeGeneration || !api.session()) return;
    const result = show(main, name, query);
    cleanup = typeof result === 'function' ? result : null;
    // Focus the new page's heading for screen readers; not on the first load.
    if (routed) main.querySelector('h1')?.focus({preventScroll: true});
    routed = true;
  }).catch((err) => main.replaceChildren(h('p', {class: 'error'}, `This page failed to load: ${err.message}`)));
}

function showSignedIn(session) {
  signin.hidden = true;
  shell.hidden = false;
  const expires = session.expiresAt ? ` · session until ${fmtTime(session.expiresAt, {seconds: false})}` : '';
  who.textContent = `${session.accessKeyId}${expires}`;
  if (!location.hash) history.replaceState(null, '', '#/alarms');
  route();
}

function showSignIn(message) {
  routeGeneration++;
  if (cleanup) cleanup();
  cleanup = null;
  routed = false;
  main.replaceChildren();
  shell.hidden = true;
  signin.hidden = false;
  signinError.textContent = message ?? '';
  signinError.hidden = !message;
  document.title = 'Sign in — trailwatch';
  document.getElementById('access-key-id').focus();
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = form.elements.accessKeyId.value.trim();
  const secretInput = form.elements.secretAccessKey;
  const button = form.querySelector('button');
  button.disabled = true;
  signinError.hidden = true;
  try {
    const session = await api.signIn(id, secretInput.value);
    secretInput.value = '';  // the secret is not kept anywhere in the page
    showSignedIn(session);
  } catch (err) {
    secretInput.value = '';
    signinError.textContent = err.status === 401 ? 'Unknown access key or wrong secret.' :
      err.status === 429 ? 'Too many attempts; wait a moment.' : `Sign-in failed: ${err.message}`;
    signinError.hidden = false;
    secretInput.focus();
  } finally {
    button.disabled = false;
  }
});

document.getElementById('signout').addEventListener('click', async () => {
  try {
    await api.signOut();
  } catch {
    // Signed out here regardless; the cookie expires on its own.
  }
  showSignIn('Signed out.');
});

api.onSignedOut((wasSignedIn) => {
  showSignIn(wasSignedIn ? 'Your session has ended; sign in again.' : null);
});

const zoneButton = document.getElementById('zone');
function showZone() {
  zoneButton.textContent = timeZoneLabel();
  zoneButton.setAttribute('aria-label', `Times are shown in ${utc() ? 'UTC' : 'local time'}; switch`);
}
zoneButton.addEventListener('click', () => {
  setUtc(!utc());
  showZone();
  route();
});
showZone();

window.addEventListener('hashchange', route);

(async () => {
  let session = null;
  try {
    session = await api.resume();
  } catch (err) {
    showSignIn(`The server cannot be reached: ${err.message}`);
    return;
  }
  if (session) showSignedIn(session);
  else showSignIn();
})();
