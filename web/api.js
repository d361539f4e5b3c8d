// The console's JSON API (docs/console-api.md), relative to /console/.
//
// The session itself is an HttpOnly cookie the page cannot read. The CSRF
// token of the sign-in response lives only in this module's memory (not in
// storage) and goes out as X-CSRF-Token on every POST and DELETE. A 401 from
// any call ends the session here and tells the listeners (the app shows the
// sign-in form again).

let csrfToken = null;
let current = null;  // {accessKeyId, expiresAt}
const signedOutListeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
  }
}

export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

export function session() {
  return current;
}

function forget() {
  csrfToken = null;
  current = null;
}

export async function request(method, path, body, {signal} = {}) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(`api/${path}`, {
      method, headers, signal, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, {error: 'the server cannot be reached'});
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = {error: text.slice(0, 200)};
    }
  }
  if (response.status === 401 && path !== 'session') {
    const wasSignedIn = current !== null;
    forget();
    for (const listener of signedOutListeners) listener(wasSignedIn);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body ?? {}, options);

// An AWS operation as the signed-in key (POST api/aws/<service>/<Operation>):
// every change the console makes goes through the API's own operations.
// `service` is 'logs', 'monitoring' or 'sns'; `input` uses the JSON
// protocols' member names. A refusal throws an ApiError whose message is
// AWS's and whose body.code is AWS's error code.
export const callAws = (service, operation, input) => post(`aws/${service}/${operation}`, input ?? {});

function accept(data) {
  csrfToken = data.csrfToken;
  current = {accessKeyId: data.accessKeyId, expiresAt: data.expiresAt};
  return current;
}

// Signs in; the secret goes to the server once, in this request's body.
export async function signIn(accessKeyId, secretAccessKey) {
  return accept(await request('POST', 'session', {accessKeyId, secretAccessKey}));
}

// A page load with a live session cookie: the server repeats the CSRF token.
export async function resume() {
  try {
    return accept(await request('GET', 'session'));
  } catch (err) {
    if (err.status === 401) return null;
    throw err;
  }
}

export async function signOut() {
  try {
    await request('DELETE', 'session');
  } finally {
    forget();
  }
}
