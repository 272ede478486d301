// Checkboxes, one per class found in the photos (at the current threshold), to hide or show it.
// Classes hidden by the user stay listed so that they can be shown again.
import { classColour } from './colours.js';
import { el, swatch } from './dom.js';

/**
 * @param container the fieldset's list element
 * @param detections every detection of every photo
 * @param filters    the page's { threshold, hidden }; `hidden` is updated in place
 * @param onToggle   called after a checkbox changes
 */
export function renderClassFilter(container, detections, filters, onToggle) {
  const focused = container.contains(document.activeElement) ? document.activeElement.id : null;
  const classes = new Map();  // label -> { classId, count }
  for (const detection of detections) {
    const entry = classes.get(detection.label) ?? { classId: detection.class_id, count: 0 };
    if (detection.score >= filters.threshold) entry.count += 1;
    classes.set(detection.label, entry);
  }
  const shown = [...classes].filter(([label, { count }]) => count > 0 || filters.hidden.has(label));
  shown.sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  if (shown.length === 0) {
    container.replaceChildren(el('p', { className: 'hint' }, 'The classes found appear here.'));
    return;
  }
  container.replaceChildren(...shown.map(([label, { classId, count }]) => {
    const id = `class-${label.replace(/[^a-z0-9]+/gi, '-')}`;
    const box = el('input', { type: 'checkbox', id, checked: !filters.hidden.has(label), value: label });
    box.addEventListener('change', () => {
      if (box.checked) filters.hidden.delete(label);
      else filters.hidden.add(label);
      onToggle();
    });
    return el('div', { className: 'chip' }, box,
      el('label', { for: id }, swatch(classColour(classId)), label, el('span', { className: 'count' }, String(count))));
  }));
  if (focused) document.getElementById(focused)?.focus();
}
