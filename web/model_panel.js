// The served models, from GET /v1/models: a selector when there are several, and the chosen one's
// description.
import { el } from './dom.js';

// The server's floats arrive as doubles (0.6000000238418579).
function short(number) {
  return String(Number(number.toPrecision(4)));
}

function yesNo(value) {
  return value ? 'yes' : 'no';
}

/**
 * Fills `container` with a model selector (only when there are several models) and the description
 * of `selected`; `onSelect(name)` is called when the person picks another.
 */
export function renderModels(container, models, selected, onSelect) {
  const model = models.find((m) => m.name === selected) ?? models[0];
  const info = el('div', {});
  renderModel(info, model);
  if (models.length < 2) {
    container.replaceChildren(info);
    return;
  }
  const select = el('select', { id: 'model-select', name: 'model' },
    ...models.map((m) => el('option', { value: m.name, selected: m.name === model.name }, m.name)));
  select.addEventListener('change', () => onSelect(select.value));
  container.replaceChildren(el('label', { className: 'model-select', htmlFor: 'model-select' }, 'Detect with ', select), info);
}

export function renderModel(container, model) {
  const rows = [
    ['name', model.name],
    ['version', `${model.version} · generation ${model.generation}`],
    ['loaded', new Date(model.loaded_at).toLocaleString()],
    ['family', model.family],
    ['format', model.format],
    ['engine', [model.engine, model.engine_version].filter(Boolean).join(' ')],
    ['runs on', `${model.device ?? model.target} · ${model.precision} · ${model.threads} threads` +
      (model.performance_hint ? ` · ${model.performance_hint}` : '')],
    ['cpu', model.cpu_isa ?? ''],
    ['input', `[${model.input_shape.join(', ')}]`],
    ['classes', String(model.labels_count)],
    ['streams', String(model.streams)],
    ['max batch', `${model.max_batch} (dynamic: ${yesNo(model.dynamic_batch)})`],
    ['threshold', `${short(model.defaults.threshold)} · NMS IoU ${short(model.defaults.iou_threshold)}` +
      (model.defaults.nms ? ` ${model.defaults.nms.replace('_', '-')}` : '')],
    ['max boxes', String(model.defaults.max_detections)],
  ];
  container.replaceChildren(el('dl', { className: 'model-info' },
    ...rows.map(([name, value]) => el('div', {}, el('dt', {}, name), el('dd', {}, value)))));
}

/** The failure; a "Try again" button calls `retry` after a 401 (a key to enter) or a 429. */
export function renderModelError(container, failure, retry) {
  const again = retry && [401, 429].includes(failure.status)
    ? el('button', { type: 'button', className: 'secondary' }, 'Try again') : null;
  again?.addEventListener('click', retry);
  container.replaceChildren(el('div', { className: 'error', role: 'alert' },
    el('p', {}, el('strong', {}, failure.title ?? 'Error'), ' ', failure.message), again));
}
