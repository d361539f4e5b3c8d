// Topics: create and delete them, subscriptions and their confirmation
// (subscribe, unsubscribe), a test notification, recent deliveries with
// their outcome and retries, and the dead letters with "Retry now" and
// "Retry all". Changes to topics and subscriptions are SNS operations
// through the console's AWS route; a retry is the console's own
// POST deliveries/<id>/retry (the outbox is trailwatch's, not an AWS API).

import {callAws, get, post, session} from './api.js';
import {chip, confirmInline, deliveryChip, empty, errorBox, h, poll, runWith, table, timeEl} from './ui.js';

const POLL_MS = 3000;
const PROTOCOLS = ['email', 'https', 'http'];
export const TEST_SUBJECT = 'Test notification from the trailwatch console';

function deliveryRows(deliveries, {retry} = {}) {
  return deliveries.map((d) => h('tr', {'data-delivery': d.id, 'data-state': d.state},
      h('td', null, timeEl(d.time)),
      h('td', null, d.type ?? ''),
      h('td', null, d.subject ?? h('span', {class: 'muted'}, '—')),
      h('td', null, `${d.protocol} → `, h('code', null, d.endpoint ?? '')),
      h('td', null, deliveryChip(d.state)),
      h('td', {class: 'num'}, d.attempts ?? 0),
      h('td', {class: 'detail'}, d.lastDetail ?? '',
          d.nextAttempt && d.state !== 'delivered' && d.state !== 'dead' ?
            h('div', {class: 'sub'}, 'next attempt ', timeEl(d.nextAttempt)) : null),
      retry ? h('td', null, h('button', {type: 'button', class: 'retry', onclick: (e) => retry([d], e.currentTarget)},
          'Retry now')) : null));
}

const DELIVERY_HEADERS = ['Time', 'Type', 'Subject', 'To', 'Outcome', 'Attempts', 'Last detail'];

function testMessage(topic) {
  return `This is a test notification for the topic ${topic.name}, sent from the trailwatch console by ` +
      `${session()?.accessKeyId ?? 'a signed-in key'} at ${new Date().toISOString()}. No alarm changed state.`;
}

export function topicsPage(main) {
  document.title = 'Topics — trailwatch';
  const notice = h('div', {role: 'status', class: 'notice'});
  const deadBox = h('div');
  const retryAll = h('button', {type: 'button', id: 'retry-all', hidden: true}, 'Retry all');
  const topicsBox = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  const say = (text) => notice.replaceChildren(h('p', {class: 'ok'}, text));
  main.append(h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Topics')), notice,
      createTopicForm(async (name) => {
        say(`Topic ${name} created.`);
        await changed();
      }),
      h('section', {class: 'panel', 'aria-labelledby': 's-dead-letters'},
          h('div', {class: 'panel-head'}, h('h2', {id: 's-dead-letters'}, 'Dead letters'), retryAll), deadBox),
      topicsBox);
  let shown = {dead: null};
  let deadLetters = [];
  const views = new Map();  // topic ARN -> its section and parts

  // Dead deliveries pending again, one console call each (as "Retry now").
  async function retry(deliveries, button) {
    button.disabled = true;
    const failed = [];
    for (const d of deliveries) {
      try {
        await post(`deliveries/${encodeURIComponent(d.id)}/retry`);
      } catch (err) {
        if (err.status === 401) return;
        failed.push(`${d.id}: ${err.message}`);
      }
    }
    button.disabled = false;
    const done = deliveries.length - failed.length;
    notice.replaceChildren(
        done ? h('p', {class: 'ok'}, deliveries.length === 1 ?
          `Delivery ${deliveries[0].id} to ${deliveries[0].endpoint} is pending again.` :
          `${done} of ${deliveries.length} dead deliveries are pending again.`) : null,
        failed.length ? errorBox(`Not retried: ${failed.join('; ')}`) : null);
    await changed();
  }
  retryAll.addEventListener('click', () => retry(deadLetters, retryAll));

  async function changed() {
    shown = {dead: null};
    for (const view of views.values()) view.shown = null;
    await refresh();
  }

  async function refresh() {
    let data;
    try {
      data = await get('topics');
    } catch (err) {
      if (err.status !== 401) topicsBox.replaceChildren(errorBox(err));
      return;
    }
    deadLetters = data.deadLetters ?? [];
    const deadJson = JSON.stringify(deadLetters);
    if (deadJson !== shown.dead) {
      shown.dead = deadJson;
      retryAll.hidden = deadLetters.length === 0;
      deadBox.replaceChildren(deadLetters.length === 0 ?
        empty('No dead letters: every delivery arrived or is still being tried.') :
        table([...DELIVERY_HEADERS, ''], deliveryRows(deadLetters, {retry}), {class: 'dead-letters'}));
    }
    const topics = data.topics ?? [];
    if (topics.length === 0) {
      views.clear();
      topicsBox.replaceChildren(empty('No topics yet: create one above, with aws sns create-topic or a --template.'));
      return;
    }
    // Each topic's section stays (with what is typed in its forms); only
    // its subscriptions and deliveries are redrawn when they change.
    for (const arn of views.keys()) if (!topics.some((t) => t.arn === arn)) views.delete(arn);
    for (const t of topics) {
      if (!views.has(t.arn)) views.set(t.arn, topicView(t, {say, changed}));
      views.get(t.arn).update(t);
    }
    topicsBox.replaceChildren(...topics.map((t) => views.get(t.arn).element));
  }

  return poll(refresh, POLL_MS);
}

function createTopicForm(created) {
  const nameInput = h('input', {id: 'new-topic-name', required: true, maxlength: 256, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'security-alerts'});
  const error = h('div', {class: 'form-error', role: 'alert'});
  const form = h('form', {class: 'inline-form create-topic'},
      h('div', {class: 'field grow'}, h('label', {for: 'new-topic-name'}, 'New topic'), nameInput),
      h('button', {type: 'submit', class: 'primary'}, 'Create topic'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = nameInput.value.trim();
    // CreateTopic's rule for a standard topic's name.
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
      error.replaceChildren(errorBox('A topic name is 1 to 256 letters, digits, hyphens and underscores.'));
      nameInput.focus();
      return;
    }
    runWith(form.querySelector('button'), error, async () => {
      await callAws('sns', 'CreateTopic', {Name: name});
      form.reset();
      await created(name);
    });
  });
  return form;
}

// One topic's section: its tools (test notification, delete), subscribe
// form, subscriptions and recent deliveries.
function topicView(topic, {say, changed}) {
  const id = `topic-${topic.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const error = h('div', {class: 'form-error', role: 'alert'});
  const subsBox = h('div');
  const deliveriesBox = h('div');
  const tools = h('div', {class: 'buttons topic-tools', role: 'group', 'aria-label': `Change ${topic.name}`});

  const testButton = h('button', {type: 'button', class: 'send-test'}, 'Send test notification');
  testButton.addEventListener('click', () => runWith(testButton, error, async () => {
    const out = await callAws('sns', 'Publish', {TopicArn: topic.arn, Subject: TEST_SUBJECT, Message: testMessage(topic)});
    say(`Test notification ${out.MessageId} published to ${topic.name}.`);
    await changed();
  }));
  const deleteButton = h('button', {type: 'button', class: 'danger delete-topic'}, 'Delete topic…');
  deleteButton.addEventListener('click', () => confirmInline(tools, {
    question: `Delete ${topic.name} and its subscriptions?`, yes: 'Delete topic', restore: showTools,
    action: async () => {
      await callAws('sns', 'DeleteTopic', {TopicArn: topic.arn});
      say(`Topic ${topic.name} deleted.`);
      await changed();
    },
  }));
  function showTools() {
    tools.replaceChildren(testButton, deleteButton);
  }
  showTools();

  const protocol = h('select', {id: `${id}-protocol`, class: 'protocol'}, PROTOCOLS.map((p) => h('option', {value: p}, p)));
  const endpoint = h('input', {id: `${id}-endpoint`, class: 'endpoint', required: true, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'someone@example.com or https://…'});
  const subscribe = h('form', {class: 'inline-form subscribe'},
      h('div', {class: 'field'}, h('label', {for: `${id}-protocol`}, 'Protocol'), protocol),
      h('div', {class: 'field grow'}, h('label', {for: `${id}-endpoint`}, 'Endpoint'), endpoint),
      h('button', {type: 'submit'}, 'Subscribe'));
  subscribe.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = endpoint.value.trim();
    const bad = protocol.value === 'email' ? !/^[^@\s]+@[^@\s]+$/.test(value) :
      !value.toLowerCase().startsWith(`${protocol.value}://`);
    if (bad) {
      error.replaceChildren(errorBox(protocol.value === 'email' ? 'Give an e-mail address.' :
        `An ${protocol.value} endpoint is a URL starting with ${protocol.value}://.`));
      endpoint.focus();
      return;
    }
    runWith(subscribe.querySelector('button'), error, async () => {
      await callAws('sns', 'Subscribe', {TopicArn: topic.arn, Protocol: protocol.value, Endpoint: value,
        ReturnSubscriptionArn: true});
      subscribe.reset();
      say(`Subscribed ${value} to ${topic.name}; it receives a confirmation request first.`);
      await changed();
    });
  });

  const unsubscribe = (s) => async (e) => {
    const button = e.currentTarget;
    await runWith(button, error, async () => {
      await callAws('sns', 'Unsubscribe', {SubscriptionArn: s.arn});
      say(`Unsubscribed ${s.endpoint} from ${topic.name}.`);
      await changed();
    });
  };

  const view = {
    shown: null,
    element: h('section', {class: 'panel topic', 'aria-labelledby': id, 'data-topic': topic.name},
        h('div', {class: 'panel-head'},
            h('h2', {id}, topic.name, topic.displayName ? h('span', {class: 'sub'}, ` ${topic.displayName}`) : null),
            tools),
        h('p', null, h('code', null, topic.arn)),
        error,
        h('h3', null, 'Subscriptions'), subsBox, subscribe,
        h('h3', null, 'Recent deliveries'), deliveriesBox),
    update(t) {
      const json = JSON.stringify([t.subscriptions, t.deliveries]);
      if (json === view.shown) return;
      view.shown = json;
      const subs = t.subscriptions ?? [];
      const deliveries = t.deliveries ?? [];
      subsBox.replaceChildren(subs.length === 0 ? empty('No subscriptions.') :
        table(['Protocol', 'Endpoint', 'Confirmation', 'ARN', ''], subs.map((s) => h('tr', {'data-endpoint': s.endpoint},
            h('td', null, s.protocol), h('td', null, h('code', null, s.endpoint)),
            h('td', null, s.confirmed ? chip('confirmed', 'ok') : chip('pending confirmation', 'wait')),
            h('td', null, h('code', {class: 'small'}, s.arn ?? '')),
            h('td', null, h('button', {type: 'button', class: 'unsubscribe', onclick: unsubscribe(s)}, 'Unsubscribe'))))));
      deliveriesBox.replaceChildren(deliveries.length === 0 ? empty('Nothing sent yet.') :
        table(DELIVERY_HEADERS, deliveryRows(deliveries), {class: 'deliveries'}));
    },
  };
  return view;
}
