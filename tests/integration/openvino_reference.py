"""OpenVINO's own Python API on one IR, fed one image the way the file's input declares it: the
reference the OpenVINO engine's outputs are held to (tests/integration/test_zoo_inputs.cpp).

    $DETSERVE_VENV/bin/python tests/integration/openvino_reference.py MODEL.xml INPUT.f32 OUT_DIR

INPUT.f32: raw float32 NCHW [1,3,H,W] of whole numbers 0..255, the batch detserve's engine gets.
The script converts it to the file's input by itself, independently of detserve: NCHW -> NHWC when
`Core.read_model`'s input shape has its 3 channels last, then to its element type (u8, f16, f32),
and compiles for the CPU at INFERENCE_PRECISION_HINT f32. It writes OUT_DIR/input.json (the input
as read_model presents it) and, per output i, OUT_DIR/output<i>.f32 (raw float32) plus its shape
in OUT_DIR/outputs.json.
"""
import json
import pathlib
import sys

import numpy as np
import openvino as ov


def main():
    model_path, input_path, out_dir = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    core = ov.Core()
    model = core.read_model(model_path)
    port = model.input(0)
    shape = [d.get_length() if d.is_static else -1 for d in port.get_partial_shape()]
    layout = ov.layout_helpers.get_layout(port).to_string()
    (out_dir / "input.json").write_text(json.dumps(
        {"shape": shape, "element_type": port.get_element_type().get_type_name(), "layout": layout}))

    channels_last = shape[3] == 3 and shape[1] != 3
    height, width = (shape[1], shape[2]) if channels_last else (shape[2], shape[3])
    nchw = np.fromfile(input_path, dtype=np.float32).reshape(1, 3, height, width)
    image = nchw.transpose(0, 2, 3, 1) if channels_last else nchw
    image = np.ascontiguousarray(image.astype(port.get_element_type().to_dtype()))

    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled.create_infer_request().infer({0: image})
    shapes = []
    for i, output in enumerate(compiled.outputs):
        value = np.asarray(results[output], dtype=np.float32)
        value.tofile(out_dir / f"output{i}.f32")
        shapes.append(list(value.shape))
    (out_dir / "outputs.json").write_text(json.dumps(shapes))


if __name__ == "__main__":
    main()
