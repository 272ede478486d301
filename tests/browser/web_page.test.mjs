// The web page at GET / in a real browser: Debian's chromium, headless, driven by puppeteer-core.
// Starts `detserve serve` on an ephemeral port, uploads dog.jpg through the page's file input,
// waits for the boxes and the table (dog, bicycle), saves a screenshot, then checks the filters,
// the annotated download, an error message and the phone layout. Any console error fails it.
// Then a second server with an API key and a rate limit: the page asks for the key on the 401,
// sends it on every call, and shows the 429 readably. Last a server of two models: the page's model
// selector, and photos that keep the model they were sent to.
//
//   node web_page.test.mjs /path/to/detserve
//
// Environment: DETSERVE_MODEL (default <repo>/models/nanodet/nanodet.xml), DETSERVE_SAMPLES_DIR
// (else /usr/share/darknet/data, else ${DETSERVE_CACHE_DIR:-~/.cache/detserve}/samples),
// DETSERVE_SCREENSHOT (default ./web-page.png; the phone one goes beside it), CHROMIUM
// (default /usr/bin/chromium), DETSERVE_WEB_ROOT (default <repo>/web).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STARTUP_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 60_000;
const WATCHDOG_MS = 270_000;  // under ctest's TIMEOUT 300, so that we clean up and say where

// Colours of web/colours.js: the unit test for src/server/annotate.cpp checks the same (BGR there).
const CLASS_RGB = { person: [242, 200, 48], bicycle: [143, 48, 242], car: [48, 180, 242], dog: [242, 70, 48] };

function samplePhoto(name) {
  const dirs = [process.env.DETSERVE_SAMPLES_DIR, '/usr/share/darknet/data',
    join(process.env.DETSERVE_CACHE_DIR || join(homedir(), '.cache/detserve'), 'samples')].filter(Boolean);
  const found = dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
  if (!found) fail(`${name} not found in ${dirs.join(', ')}: run scripts/fetch-sample-images.sh (or set DETSERVE_SAMPLES_DIR)`);
  return found;
}

const config = {
  binary: process.argv[2] || process.env.DETSERVE_BINARY,
  model: process.env.DETSERVE_MODEL || join(REPO, 'models/nanodet/nanodet.xml'),
  webRoot: process.env.DETSERVE_WEB_ROOT || join(REPO, 'web'),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  screenshot: resolve(process.env.DETSERVE_SCREENSHOT || 'web-page.png'),
};

let server = null;
let browser = null;
let serverLog = '';
let step = 'starting';
let passed = 0;

function fail(message) {
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

async function stopServer() {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    const exited = new Promise((done) => server.once('exit', done));
    const timeout = new Promise((done) => setTimeout(done, 5000));
    await Promise.race([exited, timeout]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
}

async function cleanUp() {
  await browser?.close().catch(() => {});
  browser = null;
  await stopServer();
}

process.on('exit', () => server?.exitCode === null && server.kill('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await cleanUp();
    process.exit(1);
  });
}

async function run(name, body) {
  step = name;
  await body();
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
}

// ---- the server ---------------------------------------------------------------------------

async function startServer(extraArgs = []) {
  check(config.binary && existsSync(config.binary), `the detserve binary '${config.binary}' does not exist (pass it as the first argument)`);
  check(existsSync(config.model), `${config.model} not found: run scripts/fetch-default-model.sh (or set DETSERVE_MODEL)`);
  check(existsSync(join(config.webRoot, 'index.html')), `${config.webRoot}/index.html not found (set DETSERVE_WEB_ROOT)`);
  server = spawn(config.binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--model', config.model,
    '--web-root', config.webRoot, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  serverLog = '';
  for (const stream of [server.stdout, server.stderr]) stream.on('data', (chunk) => { serverLog += chunk; });
  const until = Date.now() + STARTUP_TIMEOUT_MS;
  let port = 0;
  while (!port) {
    check(server.exitCode === null, `detserve serve exited with ${server.exitCode}`);
    check(Date.now() < until, 'detserve serve never printed "listening on http://127.0.0.1:PORT"');
    port = Number(serverLog.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1] ?? 0);
    if (!port) await sleep(50);
  }
  const base = `http://127.0.0.1:${port}`;
  while ((await fetch(`${base}/readyz`).catch(() => null))?.status !== 200) {
    check(server.exitCode === null, `detserve serve exited with ${server.exitCode}`);
    check(Date.now() < until, `${base}/readyz never answered 200`);
    await sleep(100);
  }
  return base;
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

async function detectWithApi(base, photo) {
  const response = await fetch(`${base}/v1/detect`, {
    method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: readFileSync(photo),
  });
  if (!response.ok) fail(`POST /v1/detect answered ${response.status}: ${await response.text()}`);
  return response.json();
}

// ---- the browser --------------------------------------------------------------------------

async function launchBrowser(downloads) {
  check(existsSync(config.chromium), `${config.chromium} not found: apt-get install chromium (or set CHROMIUM)`);
  return puppeteer.launch({
    executablePath: config.chromium,
    headless: true,
    // CI runs as root, where chromium's sandbox cannot start; the page is our own, on loopback.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--lang=en-US'],
    downloadBehavior: { policy: 'allow', downloadPath: downloads },
    protocolTimeout: STEP_TIMEOUT_MS,
  });
}

// Console errors, uncaught exceptions, failed loads and error answers all fail the test, except
// the error answers a step announces it expects.
function watchPage(page, problems, expected) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location()?.url ?? '';
    if (expected.some((pattern) => pattern.test(url))) return;
    problems.push(`console error: ${message.text()} ${url}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (request.failure()?.errorText === 'net::ERR_ABORTED' && request.url().startsWith('blob:')) return;
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => {
    if (response.status() < 400 || expected.some((pattern) => pattern.test(response.url()))) return;
    problems.push(`${response.status()} for ${response.request().method()} ${response.url()}`);
  });
}

function tableLabels(page) {
  return page.$$eval('.photo table.detections tbody tr[data-label]', (rows) => rows.map((row) => row.dataset.label));
}

async function waitForTable(page, labels, absent = []) {
  await page.waitForFunction((want, not) => {
    const seen = [...document.querySelectorAll('.photo table.detections tbody tr[data-label]')].map((row) => row.dataset.label);
    return want.every((label) => seen.includes(label)) && not.every((label) => !seen.includes(label));
  }, { timeout: STEP_TIMEOUT_MS }, labels, absent).catch(async () => {
    fail(`the table should list [${labels}]${absent.length ? ` and not [${absent}]` : ''}; it lists [${await tableLabels(page)}]`);
  });
}

async function setThreshold(page, value) {
  await page.$eval('#threshold', (slider, v) => {
    slider.value = String(v);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

// The canvas pixels (image coordinates) of the column x, rows y-3..y+3, as [r, g, b] each: a
// stroke is a few pixels wide and anti-aliased at its sides.
function canvasColumn(page, x, y) {
  return page.$eval('.photo canvas', (canvas, px, py) => {
    const data = canvas.getContext('2d').getImageData(px, py - 3, 1, 7).data;
    return Array.from({ length: 7 }, (_, i) => [...data.slice(4 * i, 4 * i + 3)]);
  }, x, y);
}

function near(actual, expected, tolerance = 12) {
  return actual.every((value, i) => Math.abs(value - expected[i]) <= tolerance);
}

async function main() {
  const base = await startServer();
  console.log(`# detserve at ${base}, chromium ${config.chromium}`);
  const downloads = mkdtempSync(join(tmpdir(), 'detserve-downloads-'));
  const dog = samplePhoto('dog.jpg');
  const reference = await detectWithApi(base, dog);
  browser = await launchBrowser(downloads);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const problems = [];
  const expectedErrors = [];
  watchPage(page, problems, expectedErrors);
  const detectRequests = [];
  page.on('request', (request) => request.url().includes('/v1/detect') && detectRequests.push(request.url()));

  await run('GET / loads the page and the model panel reads /v1/models', async () => {
    const response = await page.goto(`${base}/`, { waitUntil: 'load' });
    check(response.status() === 200, `GET / answered ${response.status()}`);
    await page.waitForSelector('body[data-model]', { timeout: STEP_TIMEOUT_MS });
    const panel = await page.$eval('#model-info', (element) => element.textContent);
    check(panel.includes(reference.model), `the model panel does not name ${reference.model}: ${panel}`);
  });

  await run('the page colours classes like the server (web/colours.js)', async () => {
    const colours = await page.evaluate(async () => {
      const { classRgb } = await import('/web/colours.js');
      return { person: classRgb(0), bicycle: classRgb(1), car: classRgb(2), dog: classRgb(16) };
    });
    check(JSON.stringify(colours) === JSON.stringify(CLASS_RGB), `colours ${JSON.stringify(colours)} != ${JSON.stringify(CLASS_RGB)}`);
  });

  await run('uploading dog.jpg draws the boxes and lists dog and bicycle', async () => {
    await (await page.$('#files')).uploadFile(dog);
    await waitForTable(page, ['dog', 'bicycle']);
    const boxes = await page.$eval('.photo canvas', (canvas) => Number(canvas.dataset.boxes));
    check(boxes >= 2, `the canvas says ${boxes} boxes`);
    const bicycle = reference.detections.find((d) => d.label === 'bicycle');
    const x = Math.round((bicycle.box.x_min + bicycle.box.x_max) / 2);
    const y = Math.round(bicycle.box.y_max);
    const pixels = await canvasColumn(page, x, y);
    check(pixels.some((pixel) => near(pixel, CLASS_RGB.bicycle)),
      `no pixel near the bicycle box's bottom edge at (${x}, ${y}) has the bicycle colour rgb(${CLASS_RGB.bicycle}): ${JSON.stringify(pixels)}`);
    const timings = await page.$eval('.photo .timings', (element) => element.textContent);
    for (const word of ['inference', 'batch size']) check(timings.includes(word), `timings lack '${word}': ${timings}`);
  });

  await run(`screenshot saved to ${config.screenshot}`, async () => {
    mkdirSync(dirname(config.screenshot), { recursive: true });
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: config.screenshot, fullPage: true });
  });

  await run('the threshold slider refilters without a new request', async () => {
    const before = detectRequests.length;
    // Between the dog's and the bicycle's scores: the better-scored one stays, the other goes.
    const score = (label) => reference.detections.find((d) => d.label === label).score;
    const [kept, hidden] = score('dog') > score('bicycle') ? ['dog', 'bicycle'] : ['bicycle', 'dog'];
    await setThreshold(page, (score(kept) + score(hidden)) / 2);
    await waitForTable(page, [kept], [hidden]);
    await setThreshold(page, 0.25);
    await waitForTable(page, ['dog', 'bicycle']);
    check(detectRequests.length === before, `moving the slider sent ${detectRequests.length - before} requests`);
  });

  await run('the class filter hides and shows a class', async () => {
    await page.click('label[for="class-bicycle"]');
    await waitForTable(page, ['dog'], ['bicycle']);
    await page.click('label[for="class-bicycle"]');
    await waitForTable(page, ['dog', 'bicycle']);
  });

  await run('"Annotated JPEG" downloads the server\'s annotate=true image', async () => {
    const answer = page.waitForResponse((response) => response.url().includes('annotate=true'), { timeout: STEP_TIMEOUT_MS });
    await page.click('.photo header button.secondary');
    const response = await answer;
    check(response.status() === 200, `annotate=true answered ${response.status()}`);
    check(response.headers()['content-type'] === 'image/jpeg', `annotate=true answered ${response.headers()['content-type']}`);
    const until = Date.now() + STEP_TIMEOUT_MS;
    const saved = () => readdirSync(downloads).find((name) => name.endsWith('.jpg'));
    while (!saved()) {
      check(Date.now() < until, `no JPEG was downloaded to ${downloads}: ${readdirSync(downloads)}`);
      await sleep(100);
    }
    const bytes = readFileSync(join(downloads, saved()));
    check(bytes[0] === 0xff && bytes[1] === 0xd8, `${saved()} is not a JPEG`);
  });

  await run('a file that is not an image shows a readable error', async () => {
    const notImage = join(downloads, 'notes.txt');
    writeFileSync(notImage, 'this is not a photo\n');
    expectedErrors.push(/\/v1\/detect/);
    await (await page.$('#files')).uploadFile(notImage);
    await page.waitForSelector('.photo.failed [role="alert"]', { timeout: STEP_TIMEOUT_MS });
    const text = await page.$eval('.photo.failed [role="alert"]', (element) => element.textContent);
    check(/Not an image/.test(text) && /JPEG|PNG/.test(text), `the error says: ${text}`);
    await page.click('.photo.failed header button.icon');
    expectedErrors.pop();
  });

  await run('several photos at once: one request each, each shown with its detections', async () => {
    const before = detectRequests.length;
    await (await page.$('#files')).uploadFile(samplePhoto('person.jpg'), samplePhoto('horses.jpg'));
    const want = { 'person.jpg': 'person', 'horses.jpg': 'horse' };
    await page.waitForFunction((expected) => Object.entries(expected).every(([name, label]) =>
      [...document.querySelectorAll('.photo')].some((card) => card.querySelector('h2').textContent === name &&
        card.querySelector(`tr[data-label="${label}"]`))), { timeout: STEP_TIMEOUT_MS }, want).catch(() => {
      fail(`person.jpg and horses.jpg did not both show their detections (${JSON.stringify(want)})`);
    });
    const names = await page.$$eval('.photo h2', (titles) => titles.map((title) => title.textContent));
    check(JSON.stringify(names) === JSON.stringify(['person.jpg', 'horses.jpg', 'dog.jpg']), `the cards are ${names}`);
    check(detectRequests.length - before === 2, `${detectRequests.length - before} requests for two photos`);
  });

  await run('at phone width nothing overflows sideways', async () => {
    const phone = await browser.newPage();
    watchPage(phone, problems, expectedErrors);
    await phone.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.goto(`${base}/`, { waitUntil: 'load' });
    await phone.waitForSelector('body[data-model]', { timeout: STEP_TIMEOUT_MS });
    await (await phone.$('#files')).uploadFile(dog);
    await waitForTable(phone, ['dog', 'bicycle']);
    const widths = await phone.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    check(widths.page <= widths.viewport, `the page is ${widths.page} px wide in a ${widths.viewport} px viewport`);
    const phoneShot = config.screenshot.replace(/(\.png)?$/, '-phone.png');
    await phone.screenshot({ path: phoneShot, fullPage: true });
    console.log(`# phone screenshot: ${phoneShot}`);
  });

  await run('no console errors, exceptions or failed requests', async () => {
    check(problems.length === 0, problems.join('\n'));
  });
  rmSync(downloads, { recursive: true, force: true });
  await stopServer();
  await keyedServer(dog);
  await stopServer();
  await twoModelServer(dog);
}

// One token per 100 s after a burst of 4: GET /v1/models and three detections pass, a fourth is 429.
const API_KEY = 'web-test-key-5c1e';
const RATE_LIMIT = '0.01:4';

async function waitForKeyDialog(page, reasonPattern) {
  await page.waitForFunction((pattern) => {
    const dialog = document.getElementById('api-key-dialog');
    return dialog.open && new RegExp(pattern).test(document.getElementById('api-key-reason').textContent);
  }, { timeout: STEP_TIMEOUT_MS }, reasonPattern.source).catch(async () => {
    const state = await page.$eval('#api-key-dialog', (d) => `open=${d.open} reason=${d.querySelector('#api-key-reason').textContent}`);
    fail(`the API key form should be open saying ${reasonPattern}: ${state}`);
  });
}

async function enterKey(page, key) {
  await page.$eval('#api-key', (input) => { input.value = ''; });
  await page.type('#api-key', key);
  await page.click('#api-key-dialog button[type="submit"]');
}

async function keyedServer(dog) {
  const base = await startServer(['--api-keys', `${API_KEY},another-key`, '--rate-limit', RATE_LIMIT]);
  console.log(`# detserve with an API key and --rate-limit ${RATE_LIMIT} at ${base}`);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const problems = [];
  // The 401s before the key is given and the one 429 are expected; nothing else may fail.
  watchPage(page, problems, [/\/v1\/models/, /\/v1\/detect/]);
  const answers = [];
  page.on('response', (response) => {
    const url = response.url();
    if (url.includes('/v1/models') || url.includes('/v1/detect'))
      answers.push({ url, status: response.status(), authorization: response.request().headers().authorization ?? '' });
  });

  await run('with api_keys, a 401 from /v1/models opens the API key form', async () => {
    const response = await page.goto(`${base}/`, { waitUntil: 'load' });
    check(response.status() === 200, `GET / answered ${response.status()}: the page itself needs no key`);
    await waitForKeyDialog(page, /API key/);
  });

  await run('a wrong key is refused and the form asks again', async () => {
    await enterKey(page, 'not-the-key');
    await waitForKeyDialog(page, /not accepted/);
    const refused = answers.filter((a) => a.authorization === 'Bearer not-the-key');
    check(refused.length === 1 && refused[0].status === 401, `the wrong key's answers: ${JSON.stringify(refused)}`);
  });

  await run('the right key loads the model and is kept for the tab', async () => {
    await enterKey(page, API_KEY);
    await page.waitForSelector('body[data-model]', { timeout: STEP_TIMEOUT_MS });
    const open = await page.$eval('#api-key-dialog', (dialog) => dialog.open);
    check(!open, 'the API key form is still open');
    const stored = await page.evaluate(() => sessionStorage.getItem('detserve.api_key'));
    check(stored === API_KEY, `sessionStorage holds ${JSON.stringify(stored)}`);
  });

  await run('uploads carry the key as Authorization: Bearer', async () => {
    await (await page.$('#files')).uploadFile(dog);
    await waitForTable(page, ['dog', 'bicycle']);
    const detects = answers.filter((a) => a.url.includes('/v1/detect'));
    check(detects.length === 1 && detects[0].status === 200 && detects[0].authorization === `Bearer ${API_KEY}`,
      `the detect requests: ${JSON.stringify(detects)}`);
  });

  await run('over the rate limit the photo says "Too many requests" and when to retry', async () => {
    await (await page.$('#files')).uploadFile(samplePhoto('person.jpg'), samplePhoto('horses.jpg'), samplePhoto('eagle.jpg'));
    await page.waitForFunction(() => document.querySelectorAll('.photo').length === 4 &&
      !document.querySelector('.photo.pending'), { timeout: STEP_TIMEOUT_MS });
    const failed = await page.$$eval('.photo.failed [role="alert"]', (alerts) => alerts.map((alert) => alert.textContent));
    check(failed.length === 1, `${failed.length} photos failed (burst 4: one of three should): ${failed}`);
    check(/Too many requests/.test(failed[0]) && /retry after \d+ s/.test(failed[0]), `the error says: ${failed[0]}`);
    const retry = await page.$('.photo.failed [role="alert"] button');
    check(retry !== null, 'no "Try again" button on the rate-limited photo');
    const statuses = answers.filter((a) => a.url.includes('/v1/detect')).map((a) => a.status).sort();
    check(JSON.stringify(statuses) === JSON.stringify([200, 200, 200, 429]), `detect answers ${statuses}`);
  });

  await run('no unexpected errors with the API key', async () => {
    check(problems.length === 0, problems.join('\n'));
  });
  await page.close();
}

// Two models (the default model under two names): the page offers a selector, new photos go to the
// chosen model, and a photo already shown keeps the model that found its boxes.
async function twoModelServer(dog) {
  const base = await startServer(['--models', `first=${config.model},second=${config.model}`]);
  console.log(`# detserve with two models at ${base}`);
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const problems = [];
  watchPage(page, problems, []);
  const detectUrls = [];
  page.on('request', (request) => request.url().includes('/v1/detect') && detectUrls.push(request.url()));

  await run('with two models the model panel offers a selector of both, the first chosen', async () => {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.waitForSelector('body[data-model="first"] #model-select', { timeout: STEP_TIMEOUT_MS });
    const options = await page.$$eval('#model-select option', (list) => list.map((o) => o.value));
    check(JSON.stringify(options) === '["first","second"]', `the selector offers ${JSON.stringify(options)}`);
  });

  await run('photos go to the model chosen, and keep it when another is chosen', async () => {
    await (await page.$('#files')).uploadFile(dog);
    await waitForTable(page, ['dog', 'bicycle']);
    await page.select('#model-select', 'second');
    await page.waitForSelector('body[data-model="second"]', { timeout: STEP_TIMEOUT_MS });
    const panel = await page.$eval('#model-info', (element) => element.textContent);
    check(panel.includes('second'), `the model panel does not describe 'second': ${panel}`);
    await (await page.$('#files')).uploadFile(samplePhoto('person.jpg'));
    await page.waitForFunction(() => document.querySelectorAll('.photo').length === 2 &&
      !document.querySelector('.photo.pending'), { timeout: STEP_TIMEOUT_MS });
    const models = detectUrls.map((url) => new URL(url).searchParams.get('model'));
    check(JSON.stringify(models) === '["first","second"]', `the detect requests named ${JSON.stringify(models)}`);
  });

  await run('no console errors with two models', async () => {
    check(problems.length === 0, problems.join('\n'));
  });
  await page.close();
}

const watchdog = setTimeout(async () => {
  console.error(`FAILED (timeout) at: ${step}`);
  await cleanUp();
  process.exit(1);
}, WATCHDOG_MS);

try {
  await main();
  console.log(`browser: ${passed} passed, 0 failed`);
  process.exitCode = 0;
} catch (error) {
  console.error(`not ok - ${step}\n${error.message}`);
  if (serverLog) console.error(`--- detserve serve's log (last lines) ---\n${serverLog.split('\n').slice(-30).join('\n')}`);
  console.log(`browser: ${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await cleanUp();
}
