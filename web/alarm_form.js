// The alarm form: "Create alarm" (#/alarms?create) and an alarm's "Edit"
// (#/alarms/<name>?edit), with the fields of CloudWatch's console. Saving is
// one PutMetricAlarm through the console's AWS route.
//
// PutMetricAlarm replaces an alarm's whole configuration, so an edit starts
// from the alarm as DescribeAlarms returns it and changes only what the form
// shows: members it does not show (Unit, EvaluateLowSampleCountPercentile,
// ActionsEnabled) go back as they were. Tags are not part of the replacement:
// PutMetricAlarm keeps an existing alarm's tags (as on AWS). The checks here
// mirror the API's; whatever the API still refuses is shown in its words.

import {callAws} from './api.js';
import {alarmHref, describeAlarm} from './alarms.js';
import {OPERATOR_SYMBOL} from './chart.js';
import {errorBox, fmtPeriod, h, section} from './ui.js';

const STATISTICS = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'];
const PERCENTILES = ['p99', 'p95', 'p90', 'p50'];
const PERIODS = [10, 30, 60, 300, 600, 900, 3600, 21600, 86400];
const OPERATORS = [['GreaterThanThreshold', 'Greater than'], ['GreaterThanOrEqualToThreshold', 'Greater than or equal to'],
  ['LessThanThreshold', 'Less than'], ['LessThanOrEqualToThreshold', 'Less than or equal to']];
const MISSING = [['missing', 'missing'], ['notBreaching', 'good (not breaching)'], ['breaching', 'bad (breaching)'],
  ['ignore', 'ignored (keep the state)']];
// The three action lists, the state each one is for, and its field id.
const ACTIONS = [['AlarmActions', 'ALARM', 'alarm'], ['OKActions', 'OK', 'ok'],
  ['InsufficientDataActions', 'INSUFFICIENT_DATA', 'insufficient']];
// PutMetricAlarm's members that DescribeAlarms returns for a metric alarm.
const PUT_MEMBERS = ['AlarmName', 'AlarmDescription', 'ActionsEnabled', 'OKActions', 'AlarmActions',
  'InsufficientDataActions', 'MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period',
  'Unit', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold', 'ComparisonOperator', 'TreatMissingData',
  'EvaluateLowSampleCountPercentile', 'Metrics', 'ThresholdMetricId'];
const MAX_EVALUATION_SECONDS = 86400;

// "p99", "p99.9", "p100": ExtendedStatistic's form (p0 to p100).
function isPercentile(text) {
  const m = /^p(\d{1,3})(\.\d+)?$/.exec(text);
  return m !== null && Number(text.slice(1)) <= 100;
}

async function topicArns() {
  const arns = [];
  let token;
  do {
    const out = await callAws('sns', 'ListTopics', token ? {NextToken: token} : {});
    arns.push(...(out.Topics ?? []).map((t) => t.TopicArn));
    token = out.NextToken;
  } while (token);
  return arns;
}

// `name`: the alarm to edit, or null for a new one.
export function alarmFormPage(main, name) {
  const title = name ? `Edit ${name}` : 'Create alarm';
  document.title = `${title} — trailwatch`;
  const body = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  main.append(
      h('nav', {class: 'crumbs', 'aria-label': 'Breadcrumb'}, h('a', {href: '#/alarms'}, 'Alarms'), ' › ',
          name ? [h('a', {href: alarmHref(name)}, name), ' › Edit'] : 'Create alarm'),
      h('div', {class: 'page-head'}, h('h1', {tabindex: -1}, title)),
      body);

  (async () => {
    let alarm = null;
    let topics;
    try {
      topics = await topicArns();
      if (name) {
        const out = await callAws('monitoring', 'DescribeAlarms', {AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm']});
        alarm = out.MetricAlarms?.[0] ?? null;
        if (!alarm) {
          body.replaceChildren(out.CompositeAlarms?.length ?
            h('p', null, `${name} is a composite alarm: change its rule with PutCompositeAlarm (aws cloudwatch ` +
              'put-composite-alarm); this form edits metric alarms.') :
            errorBox(`There is no alarm named ${name}.`));
          return;
        }
      }
    } catch (err) {
      if (err.status !== 401) body.replaceChildren(errorBox(err));
      return;
    }
    if (alarm && (alarm.Metrics || alarm.ThresholdMetricId)) {
      body.replaceChildren(h('p', {class: 'error', role: 'alert'},
          `${name} uses metric math (Metrics): this form cannot edit it without dropping its queries. ` +
          'Change it with PutMetricAlarm (aws cloudwatch put-metric-alarm).'));
      return;
    }
    body.replaceChildren(alarmForm(alarm, topics));
    body.querySelector(alarm ? '#af-threshold' : '#af-namespace')?.focus();
  })();
}

function field(id, label, control, hint) {
  return h('div', {class: 'field'}, h('label', {for: id}, label), control, hint ? h('span', {class: 'sub'}, hint) : null);
}

function input(id, attrs) {
  return h('input', {id, name: id, autocomplete: 'off', spellcheck: 'false', ...attrs});
}

function select(id, options, value) {
  return h('select', {id, name: id}, options.map(([v, label]) => h('option', {value: v, selected: String(v) === String(value)}, label)));
}

// `alarm`: DescribeAlarms' MetricAlarm to edit, or null; `topics`: ARNs.
function alarmForm(alarm, topics) {
  const base = {};
  for (const key of PUT_MEMBERS) if (alarm && alarm[key] !== undefined) base[key] = alarm[key];

  const nameInput = input('af-name', {required: true, maxlength: 255, value: alarm?.AlarmName ?? '', readonly: Boolean(alarm)});
  const descriptionInput = h('textarea', {id: 'af-description', name: 'af-description', rows: 2, maxlength: 1024},
      alarm?.AlarmDescription ?? '');
  const namespaceInput = input('af-namespace', {required: true, maxlength: 255, value: alarm?.Namespace ?? 'CloudTrailMetrics'});
  const metricInput = input('af-metric', {required: true, maxlength: 255, value: alarm?.MetricName ?? ''});
  const statisticInput = input('af-statistic', {required: true, list: 'af-statistics',
    value: alarm?.ExtendedStatistic ?? alarm?.Statistic ?? 'Sum'});
  const periods = PERIODS.includes(alarm?.Period ?? 300) ? PERIODS : [...PERIODS, alarm.Period].sort((a, b) => a - b);
  const periodSelect = select('af-period', periods.map((p) => [p, fmtPeriod(p)]), alarm?.Period ?? 300);
  const operatorSelect = select('af-comparison',
      OPERATORS.map(([v, label]) => [v, `${label} (${OPERATOR_SYMBOL[v] ?? v})`]),
      alarm?.ComparisonOperator ?? 'GreaterThanOrEqualToThreshold');
  const thresholdInput = input('af-threshold', {required: true, inputmode: 'decimal', value: alarm?.Threshold ?? 1});
  const evaluationInput = input('af-evaluation-periods', {required: true, type: 'number', min: 1, step: 1,
    value: alarm?.EvaluationPeriods ?? 1});
  const datapointsInput = input('af-datapoints', {type: 'number', min: 1, step: 1,
    value: alarm ? alarm.DatapointsToAlarm ?? '' : 1, placeholder: 'as evaluation periods'});
  const missingSelect = select('af-missing', MISSING, alarm?.TreatMissingData ?? 'missing');

  // Dimensions: a row of name and value each.
  const dimensionRows = h('div', {class: 'dimensions'});
  const addDimension = (d) => {
    const row = h('div', {class: 'dimension'},
        h('input', {class: 'dim-name', 'aria-label': 'Dimension name', placeholder: 'name', value: d?.Name ?? ''}),
        h('input', {class: 'dim-value', 'aria-label': 'Dimension value', placeholder: 'value', value: d?.Value ?? ''}),
        h('button', {type: 'button', class: 'quiet remove', 'aria-label': 'Remove the dimension', title: 'Remove',
          onclick: () => row.remove()}, '×'));
    dimensionRows.append(row);
  };
  for (const d of alarm?.Dimensions ?? []) addDimension(d);

  // Actions per state: a checkbox per topic, and other ARNs typed in.
  const actionFields = ACTIONS.map(([key, state, id]) => {
    const current = alarm?.[key] ?? [];
    const boxes = topics.map((arn, i) => h('label', {class: 'check', title: arn},
        h('input', {type: 'checkbox', name: `af-${id}-topics`, value: arn, checked: current.includes(arn),
          id: `af-${id}-topic-${i}`}), ' ', arn.split(':').pop()));
    const other = input(`af-${id}-arns`, {class: 'mono', placeholder: 'arn:aws:sns:…',
      value: current.filter((arn) => !topics.includes(arn)).join(', ')});
    const element = h('fieldset', {class: 'actions', 'data-state': state},
        h('legend', null, `When in ${state}, notify`),
        boxes.length ? h('div', {class: 'checks'}, boxes) : h('p', {class: 'sub'}, 'No topics yet.'),
        field(`af-${id}-arns`, 'Other topic ARNs', other, 'comma-separated'));
    const chosen = () => {
      const picked = [...element.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value)
          .concat(other.value.split(/[\s,]+/).filter(Boolean));
      // The alarm's order for the ARNs it had, then the new ones.
      return [...current.filter((arn) => picked.includes(arn)), ...new Set(picked.filter((arn) => !current.includes(arn)))];
    };
    return {key, element, chosen};
  });

  const preview = h('p', {class: 'condition preview', 'aria-live': 'polite'});
  const error = h('div', {class: 'form-error', role: 'alert'});
  const submit = h('button', {type: 'submit', class: 'primary', id: 'af-save'}, alarm ? 'Save changes' : 'Create alarm');
  const form = h('form', {class: 'alarm-form', novalidate: true},
      section('Metric',
          h('div', {class: 'fields'},
              field('af-namespace', 'Namespace', namespaceInput),
              field('af-metric', 'Metric name', metricInput),
              field('af-statistic', 'Statistic', statisticInput, 'Sum, Average, …, or a percentile such as p99'),
              field('af-period', 'Period', periodSelect)),
          h('datalist', {id: 'af-statistics'}, [...STATISTICS, ...PERCENTILES].map((s) => h('option', {value: s}))),
          h('fieldset', {class: 'dimension-set'}, h('legend', null, 'Dimensions'), dimensionRows,
              h('button', {type: 'button', id: 'af-add-dimension', onclick: () => addDimension()}, 'Add dimension'))),
      section('Conditions',
          h('div', {class: 'fields'},
              field('af-comparison', 'Whenever the statistic is', operatorSelect),
              field('af-threshold', 'Threshold', thresholdInput),
              field('af-evaluation-periods', 'Evaluation periods', evaluationInput),
              field('af-datapoints', 'Datapoints to alarm', datapointsInput, 'of the evaluation periods'),
              field('af-missing', 'Treat missing data as', missingSelect)),
          preview),
      section('Notifications', h('div', {class: 'action-sets'}, actionFields.map((f) => f.element))),
      section('Name and description',
          field('af-name', 'Alarm name', nameInput, alarm ? 'An alarm keeps its name.' : null),
          field('af-description', 'Description', descriptionInput, 'optional')),
      error,
      h('div', {class: 'form-actions'}, submit,
          h('a', {class: 'button', href: alarm ? alarmHref(alarm.AlarmName) : '#/alarms'}, 'Cancel')));

  // The statistic as PutMetricAlarm takes it.
  const statistic = () => statisticInput.value.trim();
  const datapoints = () => datapointsInput.value.trim();

  function showPreview() {
    preview.textContent = describeAlarm({statistic: statistic() || '?', comparisonOperator: operatorSelect.value,
      threshold: Number(thresholdInput.value), evaluationPeriods: Number(evaluationInput.value),
      datapointsToAlarm: datapoints() ? Number(datapoints()) : undefined, period: Number(periodSelect.value),
      treatMissingData: missingSelect.value});
  }
  form.addEventListener('input', showPreview);
  showPreview();

  // The API's checks that the form can make, each with the field it is about.
  function problems() {
    const out = [];
    const add = (control, text) => out.push({control, text});
    const alarmName = nameInput.value.trim();
    if (!alarmName) add(nameInput, 'Name the alarm.');
    else if (/[\x00-\x1f\x7f]/.test(alarmName)) add(nameInput, 'The alarm name must not contain control characters.');
    if (!namespaceInput.value.trim()) add(namespaceInput, 'Give the metric namespace.');
    else if (namespaceInput.value.trim().startsWith(':')) add(namespaceInput, "The namespace must not start with ':'.");
    if (!metricInput.value.trim()) add(metricInput, 'Give the metric name.');
    const seen = new Set();
    for (const row of dimensionRows.children) {
      const [dn, dv] = [row.querySelector('.dim-name'), row.querySelector('.dim-value')];
      if (!dn.value.trim() && !dv.value.trim()) continue;
      if (!dn.value.trim() || !dv.value.trim()) add(dn.value.trim() ? dv : dn, 'A dimension needs a name and a value.');
      else if (seen.has(dn.value.trim())) add(dn, `The dimension ${dn.value.trim()} is there twice.`);
      seen.add(dn.value.trim());
    }
    if (seen.size > 30) add(dimensionRows, 'At most 30 dimensions.');
    if (!STATISTICS.includes(statistic()) && !isPercentile(statistic())) {
      add(statisticInput, `The statistic must be one of ${STATISTICS.join(', ')}, or a percentile from p0 to p100.`);
    }
    const threshold = thresholdInput.value.trim();
    if (threshold === '' || !Number.isFinite(Number(threshold))) add(thresholdInput, 'The threshold must be a number.');
    const evaluation = Number(evaluationInput.value);
    if (!Number.isInteger(evaluation) || evaluation < 1) add(evaluationInput, 'Evaluation periods must be a whole number, at least 1.');
    if (datapoints()) {
      const m = Number(datapoints());
      if (!Number.isInteger(m) || m < 1) add(datapointsInput, 'Datapoints to alarm must be a whole number, at least 1.');
      else if (Number.isInteger(evaluation) && m > evaluation) {
        add(datapointsInput, `Datapoints to alarm (${m}) must be at most the evaluation periods (${evaluation}).`);
      }
    }
    if (Number.isInteger(evaluation) && Number(periodSelect.value) * evaluation > MAX_EVALUATION_SECONDS) {
      add(evaluationInput, 'The period times the evaluation periods must be at most one day.');
    }
    for (const f of actionFields) {
      if (f.chosen().length > 5) add(f.element.querySelector('input'), `At most 5 actions for ${f.element.dataset.state}.`);
    }
    return out;
  }

  // PutMetricAlarm's input: the alarm as it was, with the form's fields.
  function request() {
    const put = {...base};
    delete put.Statistic;
    delete put.ExtendedStatistic;
    put.AlarmName = nameInput.value.trim();
    const description = descriptionInput.value.trim();
    if (description) put.AlarmDescription = description;
    else delete put.AlarmDescription;
    put.Namespace = namespaceInput.value.trim();
    put.MetricName = metricInput.value.trim();
    put.Dimensions = [...dimensionRows.children]
        .map((row) => ({Name: row.querySelector('.dim-name').value.trim(), Value: row.querySelector('.dim-value').value.trim()}))
        .filter((d) => d.Name || d.Value);
    put[STATISTICS.includes(statistic()) ? 'Statistic' : 'ExtendedStatistic'] = statistic();
    put.Period = Number(periodSelect.value);
    put.ComparisonOperator = operatorSelect.value;
    put.Threshold = Number(thresholdInput.value.trim());
    put.EvaluationPeriods = Number(evaluationInput.value);
    if (datapoints()) put.DatapointsToAlarm = Number(datapoints());
    else delete put.DatapointsToAlarm;
    // An alarm saved without TreatMissingData keeps not having one while
    // the form still says "missing" (the API's default).
    if (alarm && alarm.TreatMissingData === undefined && missingSelect.value === 'missing') delete put.TreatMissingData;
    else put.TreatMissingData = missingSelect.value;
    for (const f of actionFields) put[f.key] = f.chosen();
    return put;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const bad of form.querySelectorAll('[aria-invalid]')) bad.removeAttribute('aria-invalid');
    const found = problems();
    if (found.length) {
      for (const p of found) p.control.setAttribute('aria-invalid', 'true');
      error.replaceChildren(h('ul', {class: 'error problems'}, found.map((p) => h('li', null, p.text))));
      found[0].control.focus();
      return;
    }
    const put = request();
    submit.disabled = true;
    error.replaceChildren();
    try {
      if (!alarm) {
        // PutMetricAlarm would replace an alarm of that name: a new one must not.
        const existing = await callAws('monitoring', 'DescribeAlarms',
            {AlarmNames: [put.AlarmName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm']});
        if (existing.MetricAlarms?.length || existing.CompositeAlarms?.length) {
          nameInput.setAttribute('aria-invalid', 'true');
          error.replaceChildren(errorBox(`An alarm named ${put.AlarmName} already exists: edit it from its page.`));
          nameInput.focus();
          return;
        }
      }
      await callAws('monitoring', 'PutMetricAlarm', put);
      location.hash = alarmHref(put.AlarmName);
    } catch (err) {
      if (err.status !== 401) error.replaceChildren(errorBox(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
