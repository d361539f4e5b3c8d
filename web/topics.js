// Topics: subscriptions and their confirmation, recent deliveries with their
// outcome and retries, and the dead letters with "Retry now".

import {get, post} from './api.js';
import {chip, deliveryChip, empty, errorBox, h, poll, section, table, timeEl} from './ui.js';

const POLL_MS = 3000;

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
      retry ? h('td', null, h('button', {type: 'button', class: 'retry', onclick: (e) => retry(d, e.currentTarget)},
          'Retry now')) : null));
}

const DELIVERY_HEADERS = ['Time', 'Type', 'Subject', 'To', 'Outcome', 'Attempts', 'Last detail'];

export function topicsPage(main) {
  document.title = 'Topics — trailwatch';
  const notice = h('div', {role: 'status', class: 'notice'});
  const deadBox = h('div');
  const topicsBox = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, 'Topics')), notice,
      section('Dead letters', deadBox), topicsBox);
  let shown = null;

  async function retry(delivery, button) {
    button.disabled = true;
    try {
      await post(`deliveries/${encodeURIComponent(delivery.id)}/retry`);
      notice.replaceChildren(h('p', {class: 'ok'},
          `Delivery ${delivery.id} to ${delivery.endpoint} is pending again.`));
      shown = null;
      await refresh();
    } catch (err) {
      if (err.status === 401) return;
      button.disabled = false;
      notice.replaceChildren(errorBox(`Delivery ${delivery.id} was not retried: ${err.message}`));
    }
  }

  async function refresh() {
    let data;
    try {
      data = await get('topics');
    } catch (err) {
      if (err.status !== 401) topicsBox.replaceChildren(errorBox(err));
      return;
    }
    const json = JSON.stringify(data);
    if (json === shown) return;
    shown = json;
    const dead = data.deadLetters ?? [];
    deadBox.replaceChildren(dead.length === 0 ? empty('No dead letters: every delivery arrived or is still being tried.') :
      table([...DELIVERY_HEADERS, ''], deliveryRows(dead, {retry}), {class: 'dead-letters'}));
    const topics = data.topics ?? [];
    if (topics.length === 0) {
      topicsBox.replaceChildren(empty('No topics yet: create one with aws sns create-topic or a --template.'));
      return;
    }
    topicsBox.replaceChildren(...topics.map((t) => {
      const subs = t.subscriptions ?? [];
      const deliveries = t.deliveries ?? [];
      const id = `topic-${t.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      return h('section', {class: 'panel topic', 'aria-labelledby': id, 'data-topic': t.name},
          h('h2', {id}, t.name, t.displayName ? h('span', {class: 'sub'}, ` ${t.displayName}`) : null),
          h('p', null, h('code', null, t.arn)),
          h('h3', null, 'Subscriptions'),
          subs.length === 0 ? empty('No subscriptions.') :
            table(['Protocol', 'Endpoint', 'Confirmation', 'ARN'], subs.map((s) => h('tr', null,
                h('td', null, s.protocol), h('td', null, h('code', null, s.endpoint)),
                h('td', null, s.confirmed ? chip('confirmed', 'ok') : chip('pending confirmation', 'wait')),
                h('td', null, h('code', {class: 'small'}, s.arn ?? ''))))),
          h('h3', null, 'Recent deliveries'),
          deliveries.length === 0 ? empty('Nothing sent yet.') :
            table(DELIVERY_HEADERS, deliveryRows(deliveries), {class: 'deliveries'}));
    }));
  }

  return poll(refresh, POLL_MS);
}
