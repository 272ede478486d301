// Where one photo's time went, per pipeline stage, with the batch that carried it.
import { el } from './dom.js';

const STAGES = ['decode', 'preprocess', 'queue', 'inference', 'postprocess'];

function milliseconds(value) {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

export function renderTimings(answer) {
  const timing = answer.timing_ms;
  const staged = STAGES.reduce((sum, stage) => sum + timing[stage], 0) || 1;
  const bar = el('div', { className: 'stage-bar', 'aria-hidden': 'true' },
    ...STAGES.map((stage) => {
      const segment = el('span', { className: `stage stage-${stage}`, title: `${stage} ${milliseconds(timing[stage])}` });
      segment.style.setProperty('--share', `${(100 * timing[stage]) / staged}%`);
      return segment;
    }));
  const entry = (name, value, className = '') =>
    el('div', { className: `timing ${className}` }, el('dt', {}, name), el('dd', {}, value));
  const list = el('dl', { className: 'timings' },
    ...STAGES.map((stage) => entry(stage, milliseconds(timing[stage]), `stage-${stage}`)),
    entry('total', milliseconds(timing.total), 'total'),
    entry('batch size', String(answer.batch_size), 'batch'),
    entry('round trip', milliseconds(answer.round_trip_ms), 'round-trip'));
  return el('section', { className: 'timing-panel', 'aria-label': 'Timings' }, bar, list);
}
