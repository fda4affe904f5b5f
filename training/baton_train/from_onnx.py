"""Reads a network's weights back from a committed ONNX file into its torch module, so a
model of the family can be trained further without the original torch checkpoints.

torch's exporter keeps parameter names (`net.<name>`) except where it turns a parameter into an
anonymous constant. A GroupNorm's affine weight and bias become the `Mul`/`Add` operands
after its InstanceNormalization, and a bias-free Linear's weight, transposed, the constant
operand of a MatMul: both are matched to the modules in the order one forward pass calls
them, which is the graph's node order. What is left (a positional table) is matched by shape.
Re-exporting a network loaded this way gives the committed file byte for byte (the sha256 in
the manifest), which is how `relay_tune` checks its starting point.
"""
import onnx
import torch
from onnx import numpy_helper


def _call_order(net, example, kind):
    """Names of the `kind` modules in the order one forward pass calls them."""
    order = []
    hooks = [m.register_forward_hook(lambda m, i, o, name=name: order.append(name))
             for name, m in net.named_modules() if isinstance(m, kind)]
    with torch.no_grad():
        net(**example)
    for h in hooks:
        h.remove()
    return order


def _consumers(graph):
    out = {}
    for node in graph.node:
        for name in node.input:
            out.setdefault(name, []).append(node)
    return out


def _folded_affines(graph, inits):
    """(weight, bias) initializer names that follow each InstanceNormalization, in node order."""
    consumers = _consumers(graph)
    pairs = []
    for node in graph.node:
        if node.op_type != "InstanceNormalization":
            continue
        nxt = consumers[node.output[0]][0]  # the Reshape back to [B, C, H, W]
        mul = consumers[nxt.output[0]][0]
        add = consumers[mul.output[0]][0]
        assert mul.op_type == "Mul" and add.op_type == "Add", (mul.op_type, add.op_type)
        pairs.append((next(i for i in mul.input if i in inits), next(i for i in add.input if i in inits)))
    return pairs


def load_from_onnx(net, path, example, prefix="net."):
    """Fills `net` (a torch module built with the right config) from the ONNX file at `path`,
    and checks that every parameter was found once, with its shape.
    `example`: keyword inputs for one forward pass (to learn the modules' call order)."""
    model = onnx.load(path)
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    state = net.state_dict()
    new = {k: inits[prefix + k] for k in state if prefix + k in inits}
    used = {prefix + k for k in new}
    # GroupNorm affines, in call order.
    norms = _call_order(net, example, torch.nn.GroupNorm)
    pairs = _folded_affines(model.graph, inits)
    assert len(norms) == len(pairs), (len(norms), len(pairs))
    for name, (w, b) in zip(norms, pairs):
        new[f"{name}.weight"], new[f"{name}.bias"] = inits[w].reshape(-1), inits[b].reshape(-1)
        used |= {w, b}
    # Linear weights the exporter folded into MatMul constants (transposed), in call order.
    linears = [n for n in _call_order(net, example, torch.nn.Linear) if f"{n}.weight" not in new]
    mats = [i for node in model.graph.node if node.op_type == "MatMul" for i in node.input
            if i in inits and i not in used]
    assert len(linears) == len(mats), (linears, mats)
    for name, w in zip(linears, mats):
        new[f"{name}.weight"] = inits[w].t()
        used.add(w)
    # Anything else (a positional table, indexed with a leading 1): the one unused constant of
    # its shape, leading 1s aside.
    squeeze = lambda shape: tuple(shape)[next((i for i, d in enumerate(shape) if d != 1), len(shape)):]
    for k in [k for k in state if k not in new]:
        same = [i for i in inits if i not in used and squeeze(inits[i].shape) == squeeze(state[k].shape)]
        assert len(same) == 1, f"{k}: {len(same)} candidates in {path}"
        new[k] = inits[same[0]].reshape(state[k].shape)
        used.add(same[0])
    for k, v in new.items():
        assert v.shape == state[k].shape, (k, tuple(v.shape), tuple(state[k].shape))
    net.load_state_dict(new)
    return net.eval()
