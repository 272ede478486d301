// The table of one photo's detections that pass the filters, best score first.
import { classColour } from './colours.js';
import { el, swatch } from './dom.js';

const COORDINATES = ['x_min', 'y_min', 'x_max', 'y_max'];

export function createDetectionsTable(photoName) {
  const body = el('tbody');
  const caption = el('caption', { className: 'visually-hidden' }, `Detections in ${photoName}`);
  const head = el('thead', {},
    el('tr', {},
      el('th', { scope: 'col' }, 'Class'),
      el('th', { scope: 'col', className: 'num' }, 'Score'),
      ...COORDINATES.map((name) => el('th', { scope: 'col', className: 'num' }, name))));
  const table = el('table', { className: 'detections' }, caption, head, body);
  return { table, body };
}

/**
 * Replaces the rows. `onHover(detection | null)` is called as the pointer or focus enters and
 * leaves a row, so that the canvas can emphasise that box.
 */
export function fillDetectionsTable(body, detections, onHover) {
  const rows = detections.map((detection) => {
    const row = el('tr', { tabIndex: 0, dataset: { label: detection.label } },
      el('td', {}, el('span', { className: 'label' }, swatch(classColour(detection.class_id)), detection.label)),
      el('td', { className: 'num' }, detection.score.toFixed(3)),
      ...COORDINATES.map((name) => el('td', { className: 'num' }, detection.box[name].toFixed(1))));
    for (const enter of ['pointerenter', 'focus']) row.addEventListener(enter, () => onHover(detection));
    for (const leave of ['pointerleave', 'blur']) row.addEventListener(leave, () => onHover(null));
    return row;
  });
  if (rows.length === 0) {
    rows.push(el('tr', { className: 'empty' }, el('td', { colSpan: 6 }, 'No detection passes the filters.')));
  }
  body.replaceChildren(...rows);
}
