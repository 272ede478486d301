// One colour per class id, the same as the server's annotated JPEGs (src/server/annotate.cpp):
// 20 vivid colours ordered so that the classes COCO photos show together most (person, bicycle,
// car, bus, truck, cat, dog…) differ most; ids from 20 on reuse them.
const PALETTE = [
  0xf2c830, 0x8f30f2, 0x30b4f2, 0xf23097, 0x7cd64a, 0xf27a30, 0x3a5ef2, 0x2fd6b0, 0xc25ae0, 0xeef05a,
  0x5fa82a, 0x30e0f2, 0xf25cc8, 0xd69a5a, 0xf2e6b0, 0x3fcf6a, 0xf24630, 0xb07cf2, 0xf2a08a, 0x2a8fa0,
];

/** [r, g, b] in 0..255 for a class id. */
export function classRgb(classId) {
  const rgb = PALETTE[Math.max(classId, 0) % PALETTE.length];
  return [(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff];
}

export function classColour(classId) {
  return `rgb(${classRgb(classId).join(' ')})`;
}

/** Black on light colours, white on dark ones (Rec. 601 luma, as the server does). */
export function textColourOn(classId) {
  const [r, g, b] = classRgb(classId);
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
}
