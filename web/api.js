// The service's HTTP API as the page uses it. Failures become ApiFailure with a short title a
// person can act on; the server's own message (the native {"error":{"code","message"}}) follows.
// When the server wants an API key (401), the page asks for one (onKeyNeeded), keeps it for this
// tab in sessionStorage and sends it as "Authorization: Bearer KEY" on every call.

/** Detections are requested down to this score; the threshold slider filters from here locally. */
export const REQUEST_THRESHOLD = 0.05;

const TITLES = {
  body_too_large: 'Too large',
  image_too_large: 'Too large',
  too_many_images: 'Too many images',
  unsupported_format: 'Not an image',
  unsupported_media_type: 'Not an image',
  empty_body: 'Empty file',
  truncated_image: 'Damaged image',
  undecodable_image: 'Damaged image',
  overloaded: 'Server busy',
  not_ready: 'Model still loading',
  model_load_failed: 'Model failed to load',
  unknown_model: 'No such model',
  shutting_down: 'Server shutting down',
  deadline_exceeded: 'Took too long',
  unauthorized: 'API key needed',
  rate_limited: 'Too many requests',
};

const RETRYABLE = new Set([401, 429, 503, 504]);
const KEY_STORAGE = 'detserve.api_key';

export class ApiFailure extends Error {
  constructor(title, message, { status = 0, code = '' } = {}) {
    super(message);
    this.title = title;
    this.status = status;
    this.code = code;
    this.retryable = status === 0 || RETRYABLE.has(status);
  }
}

async function failureFrom(response) {
  let code = '';
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body?.error?.message) ({ code, message } = body.error);
  } catch {
    // Not JSON (a proxy's page, say): the status line is all there is.
  }
  const retryAfter = response.headers.get('Retry-After');
  if (response.status === 429 && retryAfter && !message.includes('retry after')) message += `; retry after ${retryAfter} s`;
  const title = TITLES[code] ?? (response.status >= 500 ? 'Server error' : 'Request refused');
  return new ApiFailure(title, message, { status: response.status, code });
}

let keyNeeded = null;  // (reason) => Promise of a key, or of null when the person cancels
let pendingKey = null;  // one question at a time, however many requests were refused

/** `ask(reason)` is called when the server answers 401; it resolves to a key, or null. */
export function onKeyNeeded(ask) {
  keyNeeded = ask;
}

export function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

function askForKey(reason) {
  pendingKey ??= keyNeeded(reason).finally(() => { pendingKey = null; });
  return pendingKey;
}

function withKey(init, key) {
  if (!key) return init;
  return { ...init, headers: { ...init?.headers, Authorization: `Bearer ${key}` } };
}

async function fetchOnce(url, init, what) {
  try {
    return await fetch(url, init);
  } catch (error) {
    const size = init?.body?.size;
    const hint = size > 8 * 1024 * 1024 ? ` The file is ${(size / 1048576).toFixed(1)} MB: the server may have refused it.` : '';
    throw new ApiFailure('Cannot reach the server', `${what} failed: ${error.message}.${hint}`);
  }
}

async function send(url, init, what) {
  let key = storedKey();
  let response = await fetchOnce(url, withKey(init, key), what);
  // 401: ask for a key and try again with it, until one is accepted or the person cancels.
  while (response.status === 401 && keyNeeded) {
    const failure = await failureFrom(response);
    const sentKey = key;
    // Another request may have been given a key in the meantime: try that one first.
    key = storedKey() !== sentKey ? storedKey() : await askForKey(sentKey ? `The key was not accepted: ${failure.message}` : failure.message);
    if (!key) {
      sessionStorage.removeItem(KEY_STORAGE);
      throw failure;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    response = await fetchOnce(url, withKey(init, key), what);
  }
  if (!response.ok) throw await failureFrom(response);
  return response;
}

/** GET /v1/models: every served model's description; the first is the server's default. */
export async function fetchModels() {
  const response = await send('/v1/models', {}, 'Reading the models');
  const { models } = await response.json();
  return models;
}

function detectUrl(params) {
  return `/v1/detect?${new URLSearchParams(params)}`;
}

// The bytes go as they are: the server reads their header to tell JPEG from PNG (or neither).
function imageRequest(file) {
  return { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: file };
}

/** POST /v1/detect?model= for one photo; resolves to the answer plus the browser's round trip in ms. */
export async function detect(file, model) {
  const started = performance.now();
  const params = { threshold: REQUEST_THRESHOLD };
  if (model) params.model = model;
  const response = await send(detectUrl(params), imageRequest(file), 'Uploading');
  const answer = await response.json();
  return { ...answer, round_trip_ms: performance.now() - started };
}

/** POST /v1/detect?annotate=true: the server's JPEG with the boxes drawn, as a Blob. */
export async function annotatedJpeg(file, { threshold, classes, model }) {
  const params = { annotate: 'true', threshold };
  if (classes) params.classes = classes.join(',');
  if (model) params.model = model;
  const response = await send(detectUrl(params), imageRequest(file), 'Annotating');
  return response.blob();
}
