# Keeps the first K computing nodes of a real TFJS graph model reachable from its inputs (with the
# Consts they read), ends them with an Identity, and repacks the weights of the kept Consts;
# writes one fuzz input: 4-byte LE model.json length, model.json, weights.
import json, math, struct, sys

src_json, src_bin, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
model = json.load(open(src_json)); weights = open(src_bin, 'rb').read()
nodes = model['modelTopology']['node']
by_name = {n['name']: n for n in nodes}
source = lambda ref: ref.lstrip('^').split(':')[0]
kept, computing = {n['name'] for n in nodes if n['op'] == 'Placeholder'}, []
for n in nodes:
    if n['op'] in ('Const', 'Placeholder') or len(computing) >= k: continue
    ins = [source(i) for i in n.get('input', [])]
    if ins and all(i in kept or by_name.get(i, {}).get('op') == 'Const' for i in ins):
        kept.add(n['name']); kept.update(ins); computing.append(n['name'])
size = {'float32': 4, 'int32': 4, 'float16': 2, 'uint8': 1, 'uint16': 2, 'bool': 1}
manifest, packed, offset = [], b'', 0
for group in model['weightsManifest']:
    for w in group['weights']:
        dtype = w.get('quantization', {}).get('dtype', w['dtype'])
        n = math.prod(w['shape']) * size[dtype]
        if w['name'] in kept: manifest.append(w); packed += weights[offset:offset + n]
        offset += n
topology = [n for n in nodes if n['name'] in kept]
topology.append({'name': 'Identity', 'op': 'Identity', 'input': [computing[-1]], 'attr': {'T': {'type': 'DT_FLOAT'}}})
model['modelTopology']['node'] = topology
model['weightsManifest'] = [{'paths': ['nanodet.bin'], 'weights': manifest}]
model['signature']['outputs'] = {'Identity:0': {'name': 'Identity:0', 'dtype': 'DT_FLOAT'}}
text = json.dumps(model, separators=(',', ':')).encode()
open(out, 'wb').write(struct.pack('<I', len(text)) + text + packed)
print(out, len(topology), 'nodes,', len(text), 'json bytes,', len(packed), 'weight bytes')
