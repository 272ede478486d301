# Shrinks a real ONNX model to what the input reader looks at: ModelProto's own fields, and in
# its graph the first few nodes, every initializer's dims/type/name without its data, the inputs
# and outputs. Protobuf wire format only (no onnx package needed).
import sys

def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i

def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7f; v >>= 7
        if v: out.append(c | 0x80)
        else: out.append(c); return bytes(out)

def fields(b):
    i = 0
    while i < len(b):
        key, j = varint(b, i); num, wt = key >> 3, key & 7
        if wt == 0: _, k = varint(b, j)
        elif wt == 1: k = j + 8
        elif wt == 5: k = j + 4
        elif wt == 2: n, j2 = varint(b, j); k = j2 + n
        else: raise ValueError(wt)
        yield num, wt, b[i:k], (b[j2:k] if wt == 2 else None)
        i = k

def field(num, payload): return enc_varint(num << 3 | 2) + enc_varint(len(payload)) + payload

def tensor(b): return b''.join(raw for num, wt, raw, _ in fields(b) if num in (1, 2, 8))

def graph(b, max_nodes):
    out, nodes = b'', 0
    for num, wt, raw, payload in fields(b):
        if num == 1:
            nodes += 1
            if nodes <= max_nodes: out += raw
        elif num == 5: out += field(5, tensor(payload))
        elif num == 13: pass
        else: out += raw
    return out

src, out, max_nodes = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, 'rb').read()
res = b''.join(field(7, graph(payload, max_nodes)) if num == 7 else raw for num, wt, raw, payload in fields(b))
open(out, 'wb').write(res); print(out, len(b), '->', len(res))
