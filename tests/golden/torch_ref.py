#!/usr/bin/python3
"""torch_ref.py DIR - the PyTorch half of tests/unit/nn-torch.

The C test writes into DIR:

    spec.json          {"space", "config": {hp: value}, "input": [C, H, W],
                        "classes", "batch", "steps",
                        "optim": {"kind": "sgd", "lr", "momentum",
                                  "weight_decay", "nesterov"}
                              or {"kind": "adam", "lr", "beta1", "beta2",
                                  "eps", "weight_decay"}}
    weights.safetensors  every tensor of the initialised net (ours)
    x.f32              the input batch, (B, C, H, W) little-endian float32
    y.i32              the labels, B little-endian int32

and this script builds the reference network (torch_models.py), loads the
weights by state_dict name with strict=True, and for each of `steps` steps
runs, in training mode: zero_grad, forward, cross-entropy, backward,
optimizer step. It writes into DIR/out/ raw little-endian float32 files:

    logits.S.f32  loss.S.f32  dx.S.f32           (step S = 1, 2, ...)
    grad.S.NAME.f32   every parameter's gradient before step S's update
    param.S.NAME.f32  every parameter after step S's update
    state.S.NAME.f32  every buffer (batch norm running statistics and
                      num_batches_tracked) after step S's forward
    eval.f32          logits of an eval-mode forward after the last step
    names.txt         one "grad|state NAME COUNT" line per tensor

and DIR/out/reload.safetensors: every tensor after the last step, written
by write_safetensors, for the C side's loader. Exit status 0 on success;
errors (a name mismatch in load_state_dict, say) go to stderr.
"""

import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402


def save(path, t):
    t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tofile(path)


def make_optimizer(spec, params):
    o = spec["optim"]
    if o["kind"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"],
                               weight_decay=o["weight_decay"],
                               nesterov=bool(o.get("nesterov", 0)))
    if o["kind"] == "adam":
        return torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                eps=o["eps"], weight_decay=o["weight_decay"])
    if o["kind"] == "adamw":
        return torch.optim.AdamW(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                 eps=o["eps"], weight_decay=o["weight_decay"])
    raise ValueError("unknown optimizer %r" % o["kind"])


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: torch_ref.py DIR\n")
        return 2
    d = argv[1]
    out = os.path.join(d, "out")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    with open(os.path.join(d, "spec.json")) as f:
        spec = json.load(f)
    c, h, w = spec["input"]
    B = spec["batch"]

    ref = torch_models.build(spec["space"], spec["config"], (c, h, w), spec["classes"])
    ref.load(torch_models.read_safetensors(os.path.join(d, "weights.safetensors")))

    x = torch.from_numpy(np.fromfile(os.path.join(d, "x.f32"), dtype="<f4")
                         .astype(np.float32).reshape(B, c, h, w)).requires_grad_()
    y = torch.from_numpy(np.fromfile(os.path.join(d, "y.i32"), dtype="<i4")
                         .astype(np.int64))
    params = ref.named_parameters()
    opt = make_optimizer(spec, [p for _, p in params])

    names = []
    for n, p in params:
        names.append("grad %s %d" % (n, p.numel()))
    for n, b in ref.named_buffers():
        names.append("state %s %d" % (n, b.numel()))
    with open(os.path.join(out, "names.txt"), "w") as f:
        f.write("\n".join(names) + "\n")

    ref.model.train()
    for s in range(1, spec["steps"] + 1):
        opt.zero_grad()
        x.grad = None
        logits = ref.logits(x)
        loss = ref.loss(logits, y)
        loss.backward()
        save(os.path.join(out, "logits.%d.f32" % s), logits)
        save(os.path.join(out, "loss.%d.f32" % s), loss.reshape(1))
        save(os.path.join(out, "dx.%d.f32" % s), x.grad)
        for n, p in params:
            save(os.path.join(out, "grad.%d.%s.f32" % (s, n)), p.grad)
        for n, b in ref.named_buffers():
            save(os.path.join(out, "state.%d.%s.f32" % (s, n)), b)
        opt.step()
        for n, p in params:
            save(os.path.join(out, "param.%d.%s.f32" % (s, n)), p)

    ref.model.eval()
    with torch.no_grad():
        save(os.path.join(out, "eval.f32"), ref.logits(x))

    final = {}
    for n, p in params:
        final[n] = p
    for n, b in ref.named_buffers():
        final[n] = b
    torch_models.write_safetensors(os.path.join(out, "reload.safetensors"), final)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
