// Muting an alarm for a maintenance window, and reminders while it stays in
// ALARM: the alarm tags trailwatch:MutedUntil and trailwatch:RemindEvery
// (README, "Muting an alarm and reminders"), set with TagResource and
// UntagResource like any tag, so the console does what the aws CLI does.

import {callAws} from './api.js';
import {chip, errorBox, fmtTime, fromDatetimeLocal, h, now, runWith, timeZoneLabel, toDatetimeLocal} from './ui.js';

export const MUTED_UNTIL = 'trailwatch:MutedUntil';
export const REMIND_EVERY = 'trailwatch:RemindEvery';

const MUTE_FOR = [['1 h', 3600e3], ['4 h', 4 * 3600e3], ['1 day', 24 * 3600e3]];
const REMINDERS = [['', 'Off'], ['30m', 'every 30 min'], ['1h', 'every hour'], ['4h', 'every 4 h'],
  ['12h', 'every 12 h'], ['1d', 'every day']];

// An ISO time to the second, as the tag takes it.
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// "muted until 14:00" for a list row, or null when no mute is running.
export function mutedChip(alarm) {
  if (!alarm.mutedUntil) return null;
  const sameDay = new Date(alarm.mutedUntil).toDateString() === new Date(now()).toDateString();
  const c = chip(`muted until ${fmtTime(alarm.mutedUntil, {seconds: false, date: !sameDay})}`, 'wait');
  c.classList.add('muted-chip');
  c.title = `Notifications muted until ${fmtTime(alarm.mutedUntil)} ${timeZoneLabel()}`;
  return c;
}

// The detail page's "Notifications" section body for `alarm` (metric or
// composite, as GET alarms/<name> answers); `changed()` reloads the page's data.
export function silencingControls(alarm, changed) {
  const error = h('div', {class: 'form-error', role: 'alert'});
  const tag = (key, value) => callAws('monitoring', 'TagResource', {ResourceARN: alarm.arn, Tags: [{Key: key, Value: value}]});
  const untag = (key) => callAws('monitoring', 'UntagResource', {ResourceARN: alarm.arn, TagKeys: [key]});

  const run = (control, action) => runWith(control, error, async () => {
    await action();
    changed();
  });

  const state = alarm.mutedUntil ?
    h('p', {class: 'mute-state'}, mutedChip(alarm), ' Notifications are muted: the alarm still changes state ' +
        'and keeps its history, but sends nothing until then.') :
    h('p', {class: 'mute-state'}, 'Notifications are on.');
  const unmute = h('button', {type: 'button', id: 'unmute', hidden: !alarm.mutedUntil}, 'Unmute now');
  unmute.addEventListener('click', () => run(unmute, () => untag(MUTED_UNTIL)));
  const muteButtons = MUTE_FOR.map(([label, ms]) => {
    const button = h('button', {type: 'button', 'data-mute': label}, `Mute ${label}`);
    button.addEventListener('click', () => run(button, () => tag(MUTED_UNTIL, isoSeconds(now() + ms))));
    return button;
  });
  const untilInput = h('input', {type: 'datetime-local', id: 'mute-until',
    value: toDatetimeLocal(alarm.mutedUntil ?? now() + 2 * 3600e3)});
  const untilForm = h('form', {class: 'mute-until'},
      h('label', {for: 'mute-until'}, 'Mute until'), untilInput,
      h('span', {class: 'muted'}, timeZoneLabel()), h('button', {type: 'submit'}, 'Mute'));
  untilForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const until = fromDatetimeLocal(untilInput.value);
    if (!until) {
      error.replaceChildren(errorBox(new Error('Choose the time the mute ends.')));
      return;
    }
    run(untilForm.querySelector('button'), () => tag(MUTED_UNTIL, isoSeconds(Date.parse(until))));
  });

  const remind = h('select', {id: 'remind-every'},
      REMINDERS.map(([value, label]) => h('option', {value, selected: (alarm.remindEvery ?? '') === value}, label)));
  if (alarm.remindEvery && !REMINDERS.some(([value]) => value === alarm.remindEvery)) {
    remind.append(h('option', {value: alarm.remindEvery, selected: true}, `every ${alarm.remindEvery}`));
  }
  remind.addEventListener('change', () =>
    run(remind, () => (remind.value ? tag(REMIND_EVERY, remind.value) : untag(REMIND_EVERY))));

  return h('div', {class: 'silencing'},
      state,
      h('div', {class: 'toolbar'}, h('div', {class: 'buttons', role: 'group', 'aria-label': 'Mute'}, muteButtons),
          unmute, untilForm),
      h('p', {class: 'field'}, h('label', {for: 'remind-every'}, 'Reminders while in ALARM '), remind),
      error);
}
