// The service's HTTP API as the page uses it. Failures become ApiFailure with a short title a
// person can act on; the server's own message (the native {"error":{"code","message"}}) follows.

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
  shutting_down: 'Server shutting down',
  deadline_exceeded: 'Took too long',
};

const RETRYABLE = new Set([503, 504]);

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
  const title = TITLES[code] ?? (response.status >= 500 ? 'Server error' : 'Request refused');
  return new ApiFailure(title, message, { status: response.status, code });
}

async function send(url, init, what) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const size = init?.body?.size;
    const hint = size > 8 * 1024 * 1024 ? ` The file is ${(size / 1048576).toFixed(1)} MB: the server may have refused it.` : '';
    throw new ApiFailure('Cannot reach the server', `${what} failed: ${error.message}.${hint}`);
  }
  if (!response.ok) throw await failureFrom(response);
  return response;
}

/** GET /v1/models: the served model's description. */
export async function fetchModel() {
  const response = await send('/v1/models', {}, 'Reading the model');
  const { models } = await response.json();
  return models[0];
}

function detectUrl(params) {
  return `/v1/detect?${new URLSearchParams(params)}`;
}

// The bytes go as they are: the server reads their header to tell JPEG from PNG (or neither).
function imageRequest(file) {
  return { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: file };
}

/** POST /v1/detect for one photo; resolves to the answer plus the browser's round trip in ms. */
export async function detect(file) {
  const started = performance.now();
  const response = await send(detectUrl({ threshold: REQUEST_THRESHOLD }), imageRequest(file), 'Uploading');
  const answer = await response.json();
  return { ...answer, round_trip_ms: performance.now() - started };
}

/** POST /v1/detect?annotate=true: the server's JPEG with the boxes drawn, as a Blob. */
export async function annotatedJpeg(file, { threshold, classes }) {
  const params = { annotate: 'true', threshold };
  if (classes) params.classes = classes.join(',');
  const response = await send(detectUrl(params), imageRequest(file), 'Annotating');
  return response.blob();
}
