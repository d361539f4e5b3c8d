// The changes an alarm's page offers: edit (a metric alarm, in the form of
// alarm_form.js), delete, disable or enable its actions, and set its state.
// Each is one AWS operation through the console's route (api.callAws), so
// the console does exactly what the aws CLI would.

import {callAws} from './api.js';
import {confirmInline, h, runWith} from './ui.js';

const STATES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];

// The controls for `alarm` (as GET alarms/<name> answers; `composite` when it
// is one); `changed()` reloads the page's data.
export function alarmControls(alarm, {composite, changed}) {
  const error = h('div', {class: 'form-error', role: 'alert'});
  const names = {AlarmNames: [alarm.name]};
  const holder = h('div', {class: 'buttons alarm-controls', role: 'group', 'aria-label': 'Change the alarm'});

  const actionsButton = h('button', {type: 'button', id: 'toggle-actions'},
      alarm.actionsEnabled === false ? 'Enable actions' : 'Disable actions');
  actionsButton.addEventListener('click', () => runWith(actionsButton, error, async () => {
    await callAws('monitoring', alarm.actionsEnabled === false ? 'EnableAlarmActions' : 'DisableAlarmActions', names);
    changed();
  }));

  // "Set state": as on AWS, the alarm's next evaluation may change it back.
  const stateSelect = h('select', {id: 'set-state-value'},
      STATES.map((s) => h('option', {value: s, selected: s === alarm.state}, s)));
  const reasonInput = h('input', {id: 'set-state-reason', required: true, maxlength: 1023, autocomplete: 'off',
    value: 'Set from the trailwatch console'});
  const stateForm = h('form', {class: 'set-state', hidden: true, 'aria-label': 'Set the alarm state'},
      h('div', {class: 'field'}, h('label', {for: 'set-state-value'}, 'State'), stateSelect),
      h('div', {class: 'field grow'}, h('label', {for: 'set-state-reason'}, 'Reason'), reasonInput),
      h('button', {type: 'submit', class: 'primary'}, 'Set state'),
      h('p', {class: 'sub'}, 'The next evaluation of the alarm may change the state again, as on AWS.'));
  const stateButton = h('button', {type: 'button', id: 'set-state', 'aria-expanded': 'false'}, 'Set state…');
  stateButton.addEventListener('click', () => {
    stateForm.hidden = !stateForm.hidden;
    stateButton.setAttribute('aria-expanded', String(!stateForm.hidden));
    if (!stateForm.hidden) stateSelect.focus();
  });
  stateForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = reasonInput.value.trim();
    if (!reason) {
      error.replaceChildren(h('p', {class: 'error'}, 'Give a reason: SetAlarmState requires one.'));
      reasonInput.focus();
      return;
    }
    runWith(stateForm.querySelector('button[type=submit]'), error, async () => {
      await callAws('monitoring', 'SetAlarmState', {AlarmName: alarm.name, StateValue: stateSelect.value,
        StateReason: reason});
      stateForm.hidden = true;
      changed();
    });
  });

  const deleteButton = h('button', {type: 'button', id: 'delete-alarm', class: 'danger'}, 'Delete…');
  deleteButton.addEventListener('click', () => confirmInline(holder, {
    question: `Delete ${alarm.name}? Its history goes with it.`, yes: 'Delete alarm', restore: buttons,
    action: async () => {
      await callAws('monitoring', 'DeleteAlarms', names);
      location.hash = '#/alarms';
    },
  }));

  function buttons() {
    holder.replaceChildren(
        composite ? null : h('a', {class: 'button', id: 'edit-alarm', href: `#/alarms/${encodeURIComponent(alarm.name)}?edit`},
            'Edit'),
        actionsButton, stateButton, deleteButton);
  }
  buttons();
  return h('div', {class: 'alarm-changes'}, holder, stateForm, error);
}
