# Keeps the first K layers of a real IR (and the edges between them) and only the .bin bytes
# their Consts use; writes one fuzz input: 4-byte LE xml length, xml, bin.
import sys, struct, xml.etree.ElementTree as ET
src_xml, src_bin, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tail = len(sys.argv) > 5
tree = ET.parse(src_xml); net = tree.getroot()
layers = net.find('layers'); kept = list(layers)[-k:] if tail else list(layers)[:k]
for l in list(layers):
    if l not in kept: layers.remove(l)
ids = {l.get('id') for l in kept}
edges = net.find('edges')
for e in list(edges):
    if e.get('from-layer') not in ids or e.get('to-layer') not in ids: edges.remove(e)
whole = open(src_bin, 'rb').read() if src_bin != '-' else b''
binb = b''
for l in kept:
    d = l.find('data')
    if l.get('type') == 'Const' and d is not None and d.get('offset'):
        o, n = int(d.get('offset')), int(d.get('size'))
        d.set('offset', str(len(binb))); binb += whole[o:o+n]
x = ET.tostring(net, encoding='utf-8')
open(out, 'wb').write(struct.pack('<I', len(x)) + x + binb)
print(out, len(x), len(binb))
