#!/usr/bin/python3
"""torch_bench.py - the PyTorch half of tests/bench/train-vs-torch.

    torch_bench.py mode=net|convs space=resnet input=1x28x28 classes=10 \\
                   batch=128 seconds=3 threads=1 hp.out_channel0=8 ...

The same arguments and the same one-line key=value output as bench-train
(see bench-train.c), on the reference networks of
tests/golden/torch_models.py:

  net    train_ips, infer_ips, params, rss0_kb (ru_maxrss after importing
         torch, before building the network), maxrss_kb. A training step is
         zero_grad, forward in train mode, cross-entropy, backward and an
         SGD step (momentum 0.9, weight decay 5e-4); inference is an
         eval-mode forward under torch.no_grad().
  fit    PyTorch's half of tests/bench/train-run-vs-torch: train the
         network on the IDX dataset in data= (Fashion-MNIST's files) as
         anasd's train evaluator does (images scaled to [0, 1], normalised
         by the training set's mean and standard deviation; opt=sgd: SGD
         with lr=, momentum 0.9, weight decay 5e-4 (opt=adam: Adam with
         lr=), cosine schedule stepped per epoch;
         epochs=, batch, a fresh shuffle each epoch; train_subset= and
         test_subset= images drawn at random, 0: all), then test it:
         train_s (training and the test pass, loading excluded), load_s,
         acc, train_loss, maxrss_kb.
  convs  every Conv2d of the network, timed alone on an input that requires
         a gradient (except the stem's, which reads the images):
         fwd_gflop, train_gflop, fwd_ms, train_ms, fwd_gflops, train_gflops.

Timing as bench-train: two warm-up iterations, one timed to size the run,
then a fixed number chosen to last about `seconds`.
"""

import gzip
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import torch_models  # noqa: E402

WARMUP = 2


def maxrss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def parse(argv):
    o = {"mode": "net", "space": "resnet", "input": (1, 28, 28), "classes": 10,
         "batch": 128, "seconds": 3.0, "threads": 1, "hp": {}, "data": "", "epochs": 2,
         "lr": 0.01, "train_subset": 0, "test_subset": 0, "seed": 1, "opt": "sgd"}
    for a in argv[1:]:
        k, _, v = a.partition("=")
        if k.startswith("hp."):
            o["hp"][k[3:]] = float(v)
        elif k == "input":
            o["input"] = tuple(int(s) for s in v.split("x"))
        elif k in ("classes", "batch", "threads", "epochs", "train_subset", "test_subset",
                   "seed"):
            o[k] = int(v)
        elif k in ("seconds", "lr"):
            o[k] = float(v)
        elif k in ("mode", "space", "data", "opt"):
            o[k] = v
        else:
            raise SystemExit("torch_bench.py: unknown argument %r" % a)
    return o


def iterations(one, seconds):
    n = math.ceil(seconds / one) if one > 0 else 1000
    return min(max(n, 3), 100000)


def timed(fn, seconds):
    """Seconds per call of fn(i), bench-train's way."""
    for i in range(WARMUP):
        fn(i)
    t = time.perf_counter()
    fn(0)
    n = iterations(time.perf_counter() - t, seconds)
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - t) / n


def bench_net(o):
    rss0 = maxrss_kb()
    ref = torch_models.build(o["space"], o["hp"], o["input"], o["classes"])
    B, K = o["batch"], o["classes"]
    gen = torch.Generator().manual_seed(1)
    xs = [torch.randn(B, *o["input"], generator=gen) for _ in range(4)]
    ys = [torch.randint(0, K, (B,), generator=gen) for _ in range(4)]
    params = [p for _, p in ref.named_parameters()]
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4)

    def train_step(i):
        opt.zero_grad()
        loss = ref.loss(ref.logits(xs[i % 4]), ys[i % 4])
        loss.backward()
        opt.step()

    ref.model.train()
    train_s = timed(train_step, o["seconds"])

    def infer(i):
        with torch.no_grad():
            ref.logits(xs[i % 4])

    ref.model.eval()
    infer_s = timed(infer, o["seconds"])
    print("mode=net space=%s params=%d train_ips=%.1f infer_ips=%.1f rss0_kb=%d maxrss_kb=%d"
          % (o["space"], sum(p.numel() for p in params), B / train_s, B / infer_s, rss0,
             maxrss_kb()))


def read_idx(path):
    """The tensor in an IDX file (gzipped or not): uint8 images or labels."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        blob = f.read()
    dims = blob[3]
    shape = struct.unpack(">%dI" % dims, blob[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(blob[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load_split(o, split, n, gen):
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(o["data"], name)):
                return os.path.join(o["data"], name)
        raise SystemExit("torch_bench.py: no %s in %s" % (stem, o["data"]))
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(find(prefix + "-images-idx3-ubyte"))
    y = read_idx(find(prefix + "-labels-idx1-ubyte")).long()
    if 0 < n < len(y):
        pick = torch.randperm(len(y), generator=gen)[:n]
        x, y = x[pick], y[pick]
    return x.float().div_(255).unsqueeze(1), y


def fit(o):
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(o["seed"])
    xtr, ytr = load_split(o, "train", o["train_subset"], gen)
    xte, yte = load_split(o, "test", o["test_subset"], gen)
    mean, std = xtr.mean().item(), xtr.std().item()
    xtr = (xtr - mean) / std
    xte = (xte - mean) / std
    ref = torch_models.build(o["space"], o["hp"], o["input"], o["classes"])
    params = [p for _, p in ref.named_parameters()]
    if o["opt"] == "adam":
        opt = torch.optim.Adam(params, lr=o["lr"])
    else:
        opt = torch.optim.SGD(params, lr=o["lr"], momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=o["epochs"])
    B = o["batch"]
    t1 = time.perf_counter()
    for _ in range(o["epochs"]):
        ref.model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        total, batches = 0.0, 0
        for i in range(0, len(ytr), B):
            idx = perm[i:i + B]
            opt.zero_grad()
            loss = ref.loss(ref.logits(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        sched.step()
    ref.model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(yte), 256):
            right += (ref.logits(xte[i:i + 256]).argmax(1) == yte[i:i + 256]).sum().item()
    t2 = time.perf_counter()
    print("mode=fit space=%s train_s=%.2f load_s=%.2f acc=%.4f train_loss=%.4f maxrss_kb=%d"
          % (o["space"], t2 - t1, t1 - t0, right / len(yte), total / max(batches, 1),
             maxrss_kb()))


def bench_convs(o):
    ref = torch_models.build(o["space"], o["hp"], o["input"], o["classes"])
    shapes = []

    def hook(mod, inp, out):
        shapes.append((mod, tuple(inp[0].shape[1:]), tuple(out.shape[1:])))

    handles = [m.register_forward_hook(hook) for m in ref.model.modules()
               if isinstance(m, nn.Conv2d)]
    ref.model.eval()
    with torch.no_grad():
        ref.logits(torch.zeros(1, *o["input"]))
    for h in handles:
        h.remove()
    # Each module once, in the order the forward ran them.
    seen, convs = set(), []
    for mod, cin, cout in shapes:
        if id(mod) not in seen:
            seen.add(id(mod))
            convs.append((mod, cin, cout))

    B = o["batch"]
    cache = {}
    fwd_s = train_s = fwd_flop = train_flop = 0.0
    for i, (mod, cin, cout) in enumerate(convs):
        first = i == 0
        k = mod.kernel_size[0]
        macs = cout[0] * cout[1] * cout[2] * cin[0] * k * k * B
        key = (cin, cout, k, mod.stride, mod.padding, mod.bias is not None, first)
        if key not in cache:
            conv = nn.Conv2d(cin[0], cout[0], k, stride=mod.stride, padding=mod.padding,
                             bias=mod.bias is not None)
            x = torch.randn(B, *cin).requires_grad_(not first)
            dout = torch.randn(B, *cout)

            def fwd(_):
                with torch.no_grad():
                    conv(x)

            def train(_):
                conv.zero_grad()
                x.grad = None
                conv(x).backward(dout)

            f, t = timed(fwd, o["seconds"] / 10), timed(train, o["seconds"] / 10)
            cache[key] = (f, t)
            print("# conv %dx%dx%d -> %d k%d s%d p%d%s: fwd %.3f ms (%.2f GFLOP/s), "
                  "fwd+bwd %.3f ms (%.2f GFLOP/s)"
                  % (cin[0], cin[1], cin[2], cout[0], k, mod.stride[0], mod.padding[0],
                     " (stem, no input gradient)" if first else "", f * 1e3,
                     2 * macs / f * 1e-9, t * 1e3, (4 if first else 6) * macs / t * 1e-9))
        f, t = cache[key]
        fwd_s += f
        train_s += t
        fwd_flop += 2 * macs
        train_flop += (4 if first else 6) * macs
    print("mode=convs space=%s convs=%d fwd_gflop=%.4f train_gflop=%.4f fwd_ms=%.3f "
          "train_ms=%.3f fwd_gflops=%.2f train_gflops=%.2f"
          % (o["space"], len(convs), fwd_flop * 1e-9, train_flop * 1e-9, fwd_s * 1e3,
             train_s * 1e3, fwd_flop / fwd_s * 1e-9 if fwd_s else 0,
             train_flop / train_s * 1e-9 if train_s else 0))


def main(argv):
    o = parse(argv)
    torch.set_num_threads(o["threads"])
    torch.manual_seed(0)
    if o["mode"] == "net":
        bench_net(o)
    elif o["mode"] == "fit":
        fit(o)
    elif o["mode"] == "convs":
        bench_convs(o)
    else:
        raise SystemExit("torch_bench.py: unknown mode %r" % o["mode"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
