// Draws a photo and its detections on a canvas at the photo's own resolution. Strokes and
// captions are sized in CSS pixels (the canvas is scaled to fit), so they read the same on a
// phone and on a wide screen.
import { classColour, textColourOn } from './colours.js';

const LINE_CSS_PX = 2.5;
const FONT_CSS_PX = 13;

function drawCaption(context, detection, x, y, scale) {
  const text = `${detection.label} ${detection.score.toFixed(2)}`;
  const fontPx = FONT_CSS_PX * scale;
  const pad = 3 * scale;
  context.font = `600 ${fontPx}px system-ui, sans-serif`;
  const width = context.measureText(text).width + 2 * pad;
  const height = fontPx + 2 * pad;
  // Above the box when there is room, else just inside its top edge; never past the right side.
  const top = y - height >= 0 ? y - height : y;
  const left = Math.max(0, Math.min(x, context.canvas.width - width));
  context.fillStyle = classColour(detection.class_id);
  context.fillRect(left, top, width, height);
  context.fillStyle = textColourOn(detection.class_id);
  context.textBaseline = 'middle';
  context.fillText(text, left + pad, top + height / 2);
}

/**
 * @param canvas     sized to the photo by the caller
 * @param bitmap     the decoded photo
 * @param detections in the server's pixel coordinates
 * @param scaleBox   server pixels to canvas pixels (1 unless the browser decoded another size)
 * @param highlight  a detection to emphasise (the table row under the pointer), or null
 */
export function drawDetections(canvas, bitmap, detections, { scaleBox = 1, highlight = null } = {}) {
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const scale = canvas.width / Math.max(canvas.clientWidth, 1);  // canvas px per CSS px
  context.lineJoin = 'miter';
  // Lowest score first, so that the most confident boxes and captions end on top.
  const ordered = [...detections].sort((a, b) => a.score - b.score);
  if (ordered.includes(highlight)) ordered.push(ordered.splice(ordered.indexOf(highlight), 1)[0]);
  for (const detection of ordered) {
    const { x_min, y_min, x_max, y_max } = detection.box;
    const [x, y] = [x_min * scaleBox, y_min * scaleBox];
    const [w, h] = [(x_max - x_min) * scaleBox, (y_max - y_min) * scaleBox];
    context.globalAlpha = highlight && detection !== highlight ? 0.35 : 1;
    context.lineWidth = LINE_CSS_PX * scale * (detection === highlight ? 2 : 1);
    context.strokeStyle = classColour(detection.class_id);
    context.strokeRect(x, y, w, h);
    drawCaption(context, detection, x, y, scale);
  }
  context.globalAlpha = 1;
  canvas.dataset.boxes = String(detections.length);
}
