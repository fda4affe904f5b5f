"""FLOPs of the shipped graphs, counted from the graphs themselves, for `npm run bench`.

Debian's onnx cannot infer the shapes inside the DiT (its Reshape targets come from Shape
ops), so the shapes are measured: for each component at each latent side the bench uses, this
writes a copy of the graph whose MatMul, Gemm, Conv and ConvTranspose operands are extra
outputs, and the list of those ops. The bench runs each copy once through onnxruntime, reads
the shapes, and counts 2 FLOPs per multiply-add (element-wise ops are left out: a small
share, bound by memory rather than compute). It also writes matmul.onnx, one large MatMul,
for this CPU's rate.

    /usr/bin/python3 -m baton_train.flops --out DIR [--model models/shapes-v1]
"""
import argparse
import json
import os

import onnx
from onnx import TensorProto, helper

COUNTED = ("MatMul", "Gemm", "Conv", "ConvTranspose")
ATTRS = ("group", "transA", "transB")


def _fix_inputs(model, side, batch=1):
    inputs = []
    for i in model.graph.input:
        dims = i.type.tensor_type.shape.dim
        for k, d in enumerate(dims):
            if d.dim_param:
                name = d.dim_param
                d.ClearField("dim_param")
                d.dim_value = batch if name == "batch" or k == 0 else side
        elem = i.type.tensor_type.elem_type
        inputs.append({"name": i.name, "dims": [d.dim_value for d in dims], "type": "int64" if elem == TensorProto.INT64 else "float32"})
    return inputs


def probe(path, side, out_path):
    model = onnx.load(path)
    inputs = _fix_inputs(model, side)
    weights = {i.name: list(i.dims) for i in model.graph.initializer}
    outputs = {o.name for o in model.graph.output}
    ops = []
    for n in model.graph.node:
        if n.op_type not in COUNTED:
            continue
        attrs = {a.name: a.i for a in n.attribute if a.name in ATTRS}
        ops.append({"op": n.op_type, "a": n.input[0], "b": n.input[1], "out": n.output[0], **attrs})
        for t in (n.input[0], n.input[1], n.output[0]):
            if t not in weights and t not in outputs:
                model.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
                outputs.add(t)
    onnx.save(model, out_path)
    return {"inputs": inputs, "ops": ops, "weights": {k: v for k, v in weights.items() if any(k in (o["a"], o["b"]) for o in ops)}}


def matmul_model(path, n):
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, [n, n])
    c = helper.make_tensor_value_info("C", TensorProto.FLOAT, [n, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])], "matmul", [a, b], [c])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]), path)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m baton_train.flops")
    here = os.path.join(os.path.dirname(__file__), "..", "..")
    p.add_argument("--model", default=os.path.join(here, "models", "shapes-v1"))
    p.add_argument("--out", required=True)
    p.add_argument("--matmul", type=int, default=1024)
    a = p.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    manifest = json.load(open(os.path.join(a.model, "manifest.json")))
    f = manifest["vae_scale_factor"]
    base = manifest["base"]["resolution"] // f
    relays = manifest["relay"]["max_stages"]
    plan = {}
    for comp, spec in manifest["components"].items():
        if comp == "text_encoder":
            sides = [base]
        elif comp.startswith("relay_unet"):
            sides = [base * 2 ** k for k in range(1, relays + 1)]
        elif comp.startswith("vae_"):
            sides = [base * 2 ** k for k in range(0, relays + 1)]
        elif comp == "unet_single":
            sides = [manifest.get("single_stage", {}).get("resolution", 128) // f]
        else:
            sides = [base]
        for s in sides:
            px = s * f if comp != "vae_encoder" else s * f
            side = s * f if comp == "vae_encoder" else s  # the encoder takes pixels
            name = f"{comp}-{px}"
            plan[name] = {"component": comp, "px": px, "file": f"{name}.onnx", **probe(os.path.join(a.model, spec["file"]), side, os.path.join(a.out, f"{name}.onnx"))}
    matmul_model(os.path.join(a.out, "matmul.onnx"), a.matmul)
    json.dump({"graphs": plan, "matmul": {"file": "matmul.onnx", "n": a.matmul}}, open(os.path.join(a.out, "plan.json"), "w"))
    print(os.path.join(a.out, "plan.json"))


if __name__ == "__main__":
    main()
