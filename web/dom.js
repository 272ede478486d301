// A tiny element builder: el('td', { className: 'num', 'aria-label': '…' }, '0.71', child…).
// Keys with a dash, and role/for/scope, are attributes; other keys are properties.
const ATTRIBUTES = new Set(['role', 'for', 'scope']);

export function el(tag, properties = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(properties)) {
    if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.includes('-') || ATTRIBUTES.has(key)) element.setAttribute(key, value);
    else element[key] = value;
  }
  element.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A small square in a class's colour, beside its label. */
export function swatch(colour) {
  const element = el('span', { className: 'swatch', 'aria-hidden': 'true' });
  element.style.setProperty('--swatch', colour);
  return element;
}
