// The page's wiring: model info, photo picking and dropping, the filters shared by every photo.
import { ApiFailure, REQUEST_THRESHOLD, fetchModels, onKeyNeeded } from './api.js';
import { keyDialog } from './api_key_dialog.js';
import { renderClassFilter } from './class_filter.js';
import { renderModelError, renderModels } from './model_panel.js';
import { PhotoCard } from './photo_card.js';

const ACCEPTED = /^image\/(jpeg|png)$/;
const MODEL_RETRY_MS = 2000;

const $ = (id) => document.getElementById(id);
const fileInput = $('files');
const dropZone = $('drop-zone');
const threshold = $('threshold');
const thresholdValue = $('threshold-value');
const classList = $('class-list');
const results = $('results');
const status = $('status');
const modelPanel = $('model-info');

const filters = { model: '', threshold: Number(threshold.value), hidden: new Set(), labels: [] };
let cards = [];

function allDetections() {
  return cards.flatMap((card) => card.detections);
}

function updateStatus() {
  const pending = cards.filter((card) => card.element.classList.contains('pending')).length;
  const failed = cards.filter((card) => card.element.classList.contains('failed')).length;
  const shown = cards.reduce((sum, card) => sum + (card.answer ? card.visibleDetections().length : 0), 0);
  const parts = [];
  if (pending) parts.push(`detecting in ${pending} photo${pending === 1 ? '' : 's'}…`);
  if (cards.length - pending) parts.push(`${shown} detection${shown === 1 ? '' : 's'} shown`);
  if (failed) parts.push(`${failed} failed`);
  status.textContent = parts.join(' · ');
  document.body.classList.toggle('has-photos', cards.length > 0);
}

function applyFilters({ rebuildClasses = true } = {}) {
  if (rebuildClasses) renderClassFilter(classList, allDetections(), filters, () => applyFilters({ rebuildClasses: false }));
  for (const card of cards) card.render();
  updateStatus();
}

function onCardChange() {
  cards = cards.filter((card) => !card.removed);
  applyFilters();
}

function addPhotos(files) {
  const added = [];
  for (const file of files) {
    // Other types go to the server too, which says what is wrong with them; only skip folders.
    if (!file.type && file.size === 0) continue;
    const card = new PhotoCard(file, filters, onCardChange);
    cards.push(card);
    added.push(card);
  }
  results.prepend(...added.map((card) => card.element));  // the newest on top, in the order chosen
  updateStatus();
  for (const card of added) card.run();
}

fileInput.addEventListener('change', () => {
  addPhotos([...fileInput.files]);
  fileInput.value = '';  // choosing the same file again is a new upload
});

threshold.addEventListener('input', () => {
  filters.threshold = Number(threshold.value);
  thresholdValue.value = filters.threshold.toFixed(2);
  applyFilters();
});

// Dropping anywhere on the page works; the zone lights up while something is dragged over it.
let dragDepth = 0;
document.addEventListener('dragenter', (event) => {
  if (![...event.dataTransfer.types].includes('Files')) return;
  dragDepth += 1;
  dropZone.classList.add('dragging');
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) dropZone.classList.remove('dragging');
});
document.addEventListener('dragover', (event) => event.preventDefault());
document.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  dropZone.classList.remove('dragging');
  addPhotos([...event.dataTransfer.files]);
});
document.addEventListener('paste', (event) => {
  const images = [...event.clipboardData.files].filter((file) => ACCEPTED.test(file.type));
  if (images.length) addPhotos(images);
});

let models = [];

// New photos go to `name`; the photos already shown keep the model that found their boxes.
function selectModel(name) {
  const model = models.find((m) => m.name === name) ?? models[0];
  filters.model = model.name;
  renderModels(modelPanel, models, model.name, selectModel);
  filters.labels = model.labels;
  const fallback = Math.max(REQUEST_THRESHOLD, model.defaults.threshold);
  if (!cards.length) {
    threshold.value = String(fallback);
    threshold.dispatchEvent(new Event('input'));
  }
  document.body.dataset.model = model.name;
}

async function loadModel() {
  try {
    models = await fetchModels();
    selectModel(filters.model);
  } catch (failure) {
    renderModelError(modelPanel, failure, loadModel);
    // Not after a 401 or 429: the person cancelled the key form, or the server asked us to wait.
    const automatic = failure instanceof ApiFailure && failure.retryable && failure.status !== 401 && failure.status !== 429;
    if (automatic) setTimeout(loadModel, MODEL_RETRY_MS);
  }
}

onKeyNeeded(keyDialog($('api-key-dialog')));
threshold.min = String(REQUEST_THRESHOLD);
thresholdValue.value = Number(threshold.value).toFixed(2);
applyFilters();
loadModel();
