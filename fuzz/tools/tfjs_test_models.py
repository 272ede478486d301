# Writes tests/unit/test_tfjs_importer.cpp's tiny detector head and max-pool branch as fuzz seeds
# (4-byte LE model.json length, model.json, weights), until the real NanoDet model.json is there.
import base64, json, struct, sys

class Builder:
    def __init__(s): s.nodes, s.manifest, s.weights, s.sig = [], [], b'', {}
    def shape(s, dims): return {"dim": [{"size": str(d)} for d in dims]}
    def placeholder(s, name, dims):
        s.nodes.append({"name": name, "op": "Placeholder", "attr": {"shape": {"shape": s.shape(dims)}, "dtype": {"type": "DT_FLOAT"}}})
        s.sig[name + ":0"] = {"name": name + ":0", "dtype": "DT_FLOAT", "tensorShape": s.shape(dims)}
    def const(s, name, dims, tf_dtype, spec, data):
        s.nodes.append({"name": name, "op": "Const", "attr": {"dtype": {"type": tf_dtype}, "value": {"tensor": {"dtype": tf_dtype, "tensorShape": s.shape(dims)}}}})
        s.weights += data; s.manifest.append(spec)
    def f16(s, name, dims, values):
        s.const(name, dims, "DT_FLOAT", {"name": name, "shape": dims, "dtype": "float32", "quantization": {"dtype": "float16", "original_dtype": "float32"}},
                b''.join(struct.pack('<e', v) for v in values))
    def ints(s, name, dims, values, declared="DT_INT32"):
        s.const(name, dims, declared, {"name": name, "shape": dims, "dtype": "int32"}, b''.join(struct.pack('<i', v) for v in values))
    def bools(s, name, dims, values):
        s.const(name, dims, "DT_BOOL", {"name": name, "shape": dims, "dtype": "bool"}, bytes(values))
    def op(s, name, op, inputs, attr=None):
        attr = dict(attr or {}); attr.setdefault("T", {"type": "DT_FLOAT"})
        s.nodes.append({"name": name, "op": op, "input": inputs, "attr": attr})
    def seed(s, path):
        model = {"format": "graph-model", "generatedBy": "detserve unit test", "convertedBy": "TensorFlow.js Converter v3.21.0",
                 "signature": {"inputs": s.sig, "outputs": {"Identity:0": {"name": "Identity:0", "dtype": "DT_FLOAT"}}},
                 "modelTopology": {"node": s.nodes, "library": {}, "versions": {"producer": 1395}},
                 "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": s.manifest}]}
        text = json.dumps(model).encode()
        open(path, 'wb').write(struct.pack('<I', len(text)) + text + s.weights)

attr_s = lambda t: {"s": base64.b64encode(t.encode()).decode()}
attr_ints = lambda v: {"list": {"i": [str(x) for x in v]}}
T = lambda t: {"type": t}
out = sys.argv[1]

b = Builder()
b.placeholder("input", [1, 3, 8, 8])
b.ints("model/Const", [4, 2], [0, 0, 0, 0, 1, 1, 1, 1])
b.op("model/Pad", "Pad", ["input", "model/Const"], {"Tpaddings": T("DT_INT32")})
b.ints("model/transpose_1/perm", [4], [0, 2, 3, 1])
b.op("model/transpose_1", "Transpose", ["model/Pad", "model/transpose_1/perm"], {"Tperm": T("DT_INT32")})
b.f16("model/split", [3, 3, 3, 4], [((i * 37) % 23 - 11) / 17 + 0.0013 * i for i in range(108)])
b.op("model/convolution", "Conv2D", ["model/transpose_1", "model/split"],
     {"padding": attr_s("VALID"), "data_format": attr_s("NHWC"), "strides": attr_ints([1, 1, 1, 1]),
      "dilations": attr_ints([1, 1, 1, 1]), "explicit_paddings": {"list": {}}, "use_cudnn_on_gpu": {"b": True}})
b.f16("model/bias", [4], [0.3, -0.71, 1.1, -0.05])
b.op("model/Add", "Add", ["model/convolution", "model/bias"])
b.ints("model/transpose_2/perm", [4], [0, 3, 1, 2])
b.op("model/transpose_2", "Transpose", ["model/Add", "model/transpose_2/perm"], {"Tperm": T("DT_INT32")})
b.op("model/act", "LeakyRelu", ["model/transpose_2"], {"alpha": {"f": 0.1}})
b.ints("model/shape_base", [3], [1, 0, -1], "DT_INT64")
b.bools("model/mask", [3], [0, 1, 0])
b.op("model/Where", "Where", ["model/mask"], {"T": T("DT_BOOL")})
b.ints("model/dense_shape", [1], [3])
b.op("model/Cast", "Cast", ["model/dense_shape"], {"SrcT": T("DT_INT32"), "DstT": T("DT_INT64")})
b.ints("model/GatherV2", [1], [4], "DT_INT64")
b.ints("model/zeros", [], [0], "DT_INT64")
b.op("model/SparseToDense", "SparseToDense", ["model/Where", "model/Cast", "model/GatherV2", "model/zeros"],
     {"Tindices": T("DT_INT64"), "validate_indices": {"b": True}})
b.op("model/add_shape", "AddV2", ["model/shape_base", "model/SparseToDense"])
b.op("model/Reshape", "Reshape", ["model/act", "model/add_shape"], {"Tshape": T("DT_INT64")})
b.ints("model/transpose_3/perm", [3], [0, 2, 1])
b.op("model/transpose_3", "Transpose", ["model/Reshape", "model/transpose_3/perm"], {"Tperm": T("DT_INT32")})
b.op("Identity", "Identity", ["model/transpose_3"])
b.seed(out + "/test_tiny_detector_head")

b = Builder()
b.placeholder("input", [1, 3, 8, 8])
b.ints("m/perm", [4], [0, 2, 3, 1])
b.op("m/to_nhwc", "Transpose", ["input", "m/perm"])
b.ints("m/PadV2/paddings", [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])
b.f16("m/PadV2/constant_values", [], [float('-inf')])
b.op("m/PadV2", "PadV2", ["m/to_nhwc", "m/PadV2/paddings", "m/PadV2/constant_values"])
b.op("m/MaxPool", "MaxPool", ["m/PadV2"], {"ksize": attr_ints([1, 3, 3, 1]), "strides": attr_ints([1, 2, 2, 1]),
     "padding": attr_s("VALID"), "data_format": attr_s("NHWC"), "explicit_paddings": {"list": {}}})
b.op("m/Sigmoid", "Sigmoid", ["m/MaxPool"])
b.op("m/Relu", "Relu", ["m/MaxPool"])
b.ints("m/concat/axis", [], [-1])
b.op("m/concat", "ConcatV2", ["m/Sigmoid", "m/Relu", "m/concat/axis"], {"N": {"i": "2"}})
b.ints("m/back_perm", [4], [0, 3, 1, 2])
b.op("m/to_nchw", "Transpose", ["m/concat", "m/back_perm"])
b.op("Identity", "Identity", ["m/to_nchw"])
b.seed(out + "/test_maxpool_branch")
