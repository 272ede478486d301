// One uploaded photo: its request, the photo with its boxes, timings, the detections table, and
// what went wrong if something did. render() re-applies the page's filters without a request.
import { REQUEST_THRESHOLD, annotatedJpeg, detect } from './api.js';
import { createDetectionsTable, fillDetectionsTable } from './detections_table.js';
import { el } from './dom.js';
import { drawDetections } from './draw.js';
import { renderTimings } from './timings.js';

function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export class PhotoCard {
  /**
   * @param file     the File to detect in
   * @param filters  the page's shared { model: the selected model's name, threshold, hidden: Set of
   *                 labels, labels: model labels }; the card keeps the model it was detected with
   * @param onChange called when this card's detections arrive or it is removed
   */
  constructor(file, filters, onChange) {
    this.file = file;
    this.filters = filters;
    this.onChange = onChange;
    this.answer = null;
    this.highlight = null;
    this.model = filters.model;

    this.title = el('h2', {}, file.name || 'pasted image');
    this.meta = el('p', { className: 'meta' }, 'Detecting…');
    this.downloadButton = el('button', {
      type: 'button', className: 'secondary', disabled: true,
      title: 'Download the server\'s JPEG with these boxes drawn (annotate=true)',
    }, 'Annotated JPEG');
    this.downloadButton.addEventListener('click', () => this.download());
    const removeButton = el('button', { type: 'button', className: 'icon', 'aria-label': `Remove ${this.title.textContent}`, title: 'Remove' }, '×');
    removeButton.addEventListener('click', () => this.remove());
    this.message = el('div', { className: 'message' });
    this.body = el('div', { className: 'photo-body' });
    this.element = el('article', { className: 'photo pending', 'aria-busy': 'true' },
      el('header', {}, el('div', { className: 'titles' }, this.title, this.meta), this.downloadButton, removeButton),
      this.message, this.body);
  }

  get detections() {
    return this.answer?.detections ?? [];
  }

  visibleDetections() {
    const { threshold, hidden } = this.filters;
    return this.detections.filter((d) => d.score >= threshold && !hidden.has(d.label));
  }

  async run() {
    this.element.classList.remove('failed');
    this.element.classList.add('pending');
    this.element.setAttribute('aria-busy', 'true');
    this.message.replaceChildren();
    this.body.replaceChildren(el('div', { className: 'placeholder', 'aria-hidden': 'true' }));
    this.meta.textContent = 'Detecting…';
    const bitmap = createImageBitmap(this.file).catch(() => null);
    let failure = null;
    try {
      this.answer = await detect(this.file, this.model);
    } catch (error) {
      this.answer = null;
      failure = error;
    }
    this.element.classList.remove('pending');
    this.element.removeAttribute('aria-busy');
    if (failure) {
      this.fail(failure);
      return;
    }
    this.bitmap = await bitmap;
    this.build();
    this.onChange();
  }

  fail(failure) {
    this.element.classList.add('failed');
    this.meta.textContent = 'Not detected: the request failed';
    this.downloadButton.hidden = true;
    this.body.replaceChildren();
    const retry = failure.retryable ? el('button', { type: 'button', className: 'secondary' }, 'Try again') : null;
    retry?.addEventListener('click', () => this.run());
    this.message.replaceChildren(el('div', { className: 'error', role: 'alert' },
      el('p', {}, el('strong', {}, failure.title ?? 'Error'), ' ', failure.message), retry));
    this.onChange();
  }

  build() {
    const { width, height } = this.answer.image;
    const parts = [];
    if (this.bitmap) {
      this.canvas = el('canvas', { width: this.bitmap.width, height: this.bitmap.height, role: 'img' });
      this.scaleBox = this.bitmap.width / width;
      new ResizeObserver(() => this.draw()).observe(this.canvas);
      parts.push(el('figure', { className: 'canvas-wrap' }, this.canvas));
    } else {
      this.message.replaceChildren(el('p', { className: 'notice' },
        'The server read this image but the browser cannot display it; the detections are listed below.'));
    }
    const { table, body } = createDetectionsTable(this.title.textContent);
    this.tableBody = body;
    this.summary = el('p', { className: 'summary', 'aria-live': 'polite' });
    parts.push(el('div', { className: 'photo-side' }, renderTimings(this.answer), this.summary,
      el('div', { className: 'table-scroll' }, table)));
    this.body.replaceChildren(...parts);
    this.meta.textContent = `${width} × ${height} px · ${this.answer.model} · request ${this.answer.request_id}`;
    this.downloadButton.hidden = false;
    this.downloadButton.disabled = false;
    this.render();
  }

  render() {
    if (!this.answer) return;
    const visible = this.visibleDetections();
    fillDetectionsTable(this.tableBody, visible, (detection) => {
      this.highlight = detection;
      this.draw();
    });
    this.summary.textContent = `${plural(visible.length, 'detection')} shown, of ${this.detections.length} ` +
      `with score ≥ ${REQUEST_THRESHOLD}`;
    this.draw();
  }

  draw() {
    if (!this.canvas) return;
    const visible = this.visibleDetections();
    drawDetections(this.canvas, this.bitmap, visible, { scaleBox: this.scaleBox, highlight: this.highlight });
    const described = visible.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ');
    this.canvas.setAttribute('aria-label', `${this.title.textContent}: ${described || 'no detections shown'}`);
  }

  async download() {
    const { threshold, hidden, labels } = this.filters;
    const classes = hidden.size ? labels.filter((label) => !hidden.has(label)) : null;
    this.downloadButton.disabled = true;
    try {
      const blob = await annotatedJpeg(this.file, { threshold, classes: classes?.length ? classes : null, model: this.model });
      const link = el('a', { href: URL.createObjectURL(blob), download: `${this.title.textContent.replace(/\.\w+$/, '')}.annotated.jpg` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (failure) {
      this.message.replaceChildren(el('div', { className: 'error', role: 'alert' },
        el('p', {}, el('strong', {}, failure.title ?? 'Error'), ' ', failure.message)));
    } finally {
      this.downloadButton.disabled = false;
    }
  }

  remove() {
    this.element.remove();
    this.bitmap?.close();
    this.removed = true;
    this.onChange();
  }
}
