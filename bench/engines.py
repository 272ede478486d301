"""The outside anchors of bench/engines.sh: batch-1 forwards of one model file on onnxruntime (the
file as it is, and with its weights declared constant), and on OpenVINO's own Python API with
ENABLE_CPU_PINNING on and off (a property detserve does not set).

    $DETSERVE_VENV/bin/python bench/engines.py --model FILE --input FILE.f32 --seconds S [--no-ort]

--input: one preprocessed image, raw float32 NCHW (`detserve detect IMAGE --dump-input FILE.f32`).
Prints CSV rows `model,engine,streams,threads,images_per_s` for 1 stream x 2 threads and 2 streams x
1 thread; S streams are S sessions (infer requests) driven by S Python threads, which both runtimes
let run in parallel (they release the GIL while computing). On stderr: what OpenVINO's CPU plugin
picks for ENABLE_CPU_PINNING when it is not set.
"""
import argparse
import os
import sys
import threading
import time

import numpy as np
import openvino as ov

LAYOUTS = ((1, 2), (2, 1))  # (streams, threads per stream)


def images_per_s(runs, seconds):
    """Each of `runs` (one per stream) called back to back on its own thread for `seconds`."""
    for run in runs:  # first calls allocate: keep them out of the timing
        run()
        run()
    counts = [0] * len(runs)
    deadline = time.perf_counter() + seconds

    def loop(i):
        while time.perf_counter() < deadline:
            runs[i]()
            counts[i] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(runs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def constant_weights(model):
    """The ONNX file with its initializers no longer listed as graph inputs. Exporters before ONNX
    IR 4 (this nanodet_m.onnx: PyTorch 1.7) list them there, which makes onnxruntime treat every
    weight as an input that may change: no constant folding, no pre-packed convolution weights. The
    fix onnxruntime's warning suggests (its tools/python/remove_initializer_from_input.py)."""
    import onnx

    proto = onnx.load(model)
    weights = {init.name for init in proto.graph.initializer}
    inputs = [i for i in proto.graph.input if i.name not in weights]
    del proto.graph.input[:]
    proto.graph.input.extend(inputs)
    return proto.SerializeToString()


def ort_runs(model, tensor, streams, threads):
    import onnxruntime as ort

    runs = []
    for _ in range(streams):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: the file-as-is run warns once per weight
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: tensor}
        runs.append(lambda s=session, f=feed: s.run(None, f))
    return runs


def openvino_runs(core, model, tensor, streams, threads, pinning):
    config = {
        "PERFORMANCE_HINT": "THROUGHPUT",  # as detserve serve compiles
        "NUM_STREAMS": streams,
        "INFERENCE_NUM_THREADS": streams * threads,
        "INFERENCE_PRECISION_HINT": "f32",
    }
    if pinning is not None:
        config["ENABLE_CPU_PINNING"] = pinning
    compiled = core.compile_model(model, "CPU", config)
    requests = [compiled.create_infer_request() for _ in range(streams)]
    return compiled, [lambda r=r: r.infer({0: tensor}) for r in requests]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--no-ort", action="store_true", help="OpenVINO only (onnxruntime cannot read IR)")
    args = parser.parse_args()

    core = ov.Core()
    read = core.read_model(args.model)
    # A batch of one, static, as onnxruntime gets it from nanodet_m.onnx (the default IR's is open).
    shape = [1] + [d.get_length() for d in read.input(0).get_partial_shape()[1:]]
    read.reshape(shape)
    tensor = np.fromfile(args.input, dtype=np.float32).reshape(shape)
    name = os.path.basename(args.model)
    rows = []
    for streams, threads in LAYOUTS:
        if not args.no_ort:
            rows.append((name, "onnxruntime_file_as_is", streams, threads,
                         images_per_s(ort_runs(args.model, tensor, streams, threads), args.seconds)))
            rows.append((name, "onnxruntime", streams, threads,
                         images_per_s(ort_runs(constant_weights(args.model), tensor, streams, threads), args.seconds)))
        for pinning, label in ((True, "openvino_py_f32_pinned"), (False, "openvino_py_f32_unpinned")):
            _, runs = openvino_runs(core, read, tensor, streams, threads, pinning)
            rows.append((name, label, streams, threads, images_per_s(runs, args.seconds)))
        compiled, _ = openvino_runs(core, read, tensor, streams, threads, None)
        print(f"{name} {streams}x{threads}: ENABLE_CPU_PINNING unset -> {compiled.get_property('ENABLE_CPU_PINNING')}", file=sys.stderr)
    for row in rows:
        print("%s,%s,%d,%d,%.3f" % row)


if __name__ == "__main__":
    main()
