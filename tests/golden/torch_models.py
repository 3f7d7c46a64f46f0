"""torch_models.py - the reference networks in PyTorch, for the golden
tests (torch_ref.py) and the benchmark (tests/bench/torch_bench.py).

Each builder takes the configuration as our spaces name it (a dict of
hyperparameter name -> value), the input shape (C, H, W) and the number of
classes, and returns a Ref: the torch module whose state_dict names are the
ones lib/space gives its nodes, a function from the input batch to the
logits, and the loss on those logits. The networks are written from the
upstream definitions (AnalogNAS's Network in
analognas/analogainas/search_spaces/resnet_macro_architecture.py; aihwkit's
examples/03_mnist_training.py, 04_lenet5_training.py and
06_lenet5_hardware_aware.py), not from lib/space, so that a test comparing
the two checks the C builders too.

Also here: reading and writing .safetensors with the standard library
(8-byte little-endian header length, JSON header, raw little-endian data),
since the safetensors package is not a dependency.

Runs with Debian's python3-torch (1.13).
"""

import json
import math
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


class Ref:
    """A network and how to get logits and a loss from it."""

    def __init__(self, model, logits, loss, aliases=None):
        self.model = model
        self.logits = logits        # x -> logits (B, classes)
        self.loss = loss            # (logits, labels) -> mean loss
        # state_dict name prefix -> the prefix lib/space uses for the same
        # tensor (AnalogNAS registers its blocks twice, see Network).
        self.aliases = aliases or {}

    def canonical(self, name):
        """The lib/space name of a torch parameter or buffer name."""
        for prefix, ours in self.aliases.items():
            if name.startswith(prefix):
                return ours + name[len(prefix):]
        return name

    def load(self, tensors):
        """Load {our name: tensor} with strict=True: every name must
        be one the model has, every tensor of the model must be given, with
        its shape and dtype."""
        sd = self.model.state_dict()
        feed = {}
        for name, ref in sd.items():
            t = tensors.get(self.canonical(name))
            if t is None:
                feed[name] = None   # let load_state_dict name it as missing
                continue
            if t.dtype != ref.dtype:
                raise ValueError("%s: dtype %s, want %s" % (name, t.dtype, ref.dtype))
            feed[name] = t
        feed = {k: v for k, v in feed.items() if v is not None}
        known = {self.canonical(n) for n in sd}
        for name in tensors:
            if name not in known:
                feed[name] = tensors[name]  # load_state_dict reports it as unexpected
        self.model.load_state_dict(feed, strict=True)

    def named_parameters(self):
        """(our name, parameter), each tensor once."""
        return [(self.canonical(n), p) for n, p in self.model.named_parameters()]

    def named_buffers(self):
        return [(self.canonical(n), b) for n, b in self.model.named_buffers()]


# --- AnalogNAS's ResNet-like Network (resnet_macro_architecture.py) --------
#
# Module names, order and quirks as AnalogNAS builds them: a 7x7 stem with
# padding 1 and no ReLU after its batch norm; groups of max(1, R) blocks
# that never downsample (the stride passed to a group is ignored); blocks
# that sum B parallel branches plus a skip; the skip, when the width
# changes, concatenates a 1x1 convolution of ReLU(x) and one of x shifted by
# a pixel, then batch-normalises; an 8x8 stride-1 average pool; a fully
# connected layer over the whole remaining map. The stem reads 3 channels in
# AnalogNAS; `in_channels` generalises that for 1-channel datasets.


class ResidualBranch(nn.Module):
    def __init__(self, cin, cout, k, stride, index):
        super().__init__()
        pad = round(k / 3)
        rb = nn.Sequential()
        rb.add_module("Branch_%d:ReLU_1" % index, nn.ReLU(inplace=False))
        rb.add_module("Branch_%d:Conv_1" % index,
                      nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=False))
        rb.add_module("Branch_%d:BN_1" % index, nn.BatchNorm2d(cout))
        rb.add_module("Branch_%d:ReLU_2" % index, nn.ReLU(inplace=False))
        rb.add_module("Branch_%d:Conv_2" % index,
                      nn.Conv2d(cout, cout, k, stride=1, padding=pad, bias=False))
        rb.add_module("Branch_%d:BN_2" % index, nn.BatchNorm2d(cout))
        self.residual_branch = rb

    def forward(self, x):
        return self.residual_branch(x)


class SkipConnection(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.s1 = nn.Sequential()
        self.s1.add_module("Skip_1_AvgPool", nn.AvgPool2d(1, stride=stride))
        self.s1.add_module("Skip_1_Conv", nn.Conv2d(cin, cout // 2, 1, bias=False))
        self.s2 = nn.Sequential()
        self.s2.add_module("Skip_2_AvgPool", nn.AvgPool2d(1, stride=stride))
        self.s2.add_module("Skip_2_Conv", nn.Conv2d(cin, cout - cout // 2, 1, bias=False))
        self.batch_norm = nn.BatchNorm2d(cout)

    def forward(self, x):
        a = self.s1(F.relu(x))
        b = self.s2(F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1)))
        return self.batch_norm(torch.cat([a, b], dim=1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, k, branches, stride):
        super().__init__()
        self.branches = nn.ModuleList(
            [ResidualBranch(cin, cout, k, stride, i + 1) for i in range(branches)])
        self.skip = nn.Sequential()
        if cin != cout or stride != 1:
            self.skip.add_module("Skip_connection", SkipConnection(cin, cout, stride))

    def forward(self, x):
        # Python's sum(): 0 + b1 + b2 + ..., then the skip.
        out = sum([b(x) for b in self.branches])
        return out + self.skip(x)


class ResidualGroup(nn.Module):
    def __init__(self, cin, cout, n_blocks, k, branches, stride):
        super().__init__()
        del stride  # AnalogNAS ignores it: no group downsamples
        self.group = nn.Sequential()
        self.group.add_module("Block_1", BasicBlock(cin, cout, k, branches, 1))
        for i in range(2, n_blocks + 1):
            self.group.add_module("Block_%d" % i, BasicBlock(cout, cout, k, branches, 1))

    def forward(self, x):
        return self.group(x)


class Network(nn.Module):
    def __init__(self, config, input_dim=(3, 32, 32), classes=10):
        super().__init__()
        m_groups = int(config["M"])
        # Registered before `blocks`, as in AnalogNAS: its state_dict holds
        # every block tensor twice, as model.Main_blocks.* and blocks.*.
        self.model = nn.Sequential()
        self.blocks = nn.Sequential()
        c0 = int(config["out_channel0"])
        self.blocks.add_module("Conv_0", nn.Conv2d(input_dim[0], c0, 7, stride=1,
                                                   padding=1, bias=False))
        self.blocks.add_module("BN_0", nn.BatchNorm2d(c0))
        cin = c0
        for m in range(1, m_groups + 1):
            # Python float floor division, then round: the width grows.
            cout = int(round(cin // float(config["widenfact%d" % m])))
            r = int(config["R%d" % m])
            stride = 2 if m >= 2 and m in (m_groups, m_groups - 1) else 1
            self.blocks.add_module("Group_%d" % m, ResidualGroup(
                cin, cout, max(1, r), 3, int(config["B%d" % m]), stride))
            cin = cout
        self.blocks.add_module("ReLU_0", nn.ReLU(inplace=True))
        self.blocks.add_module("AveragePool", nn.AvgPool2d(8, stride=1))
        self.model.add_module("Main_blocks", self.blocks)
        # AnalogNAS sizes fc with a dummy forward in training mode (which
        # also moves the running statistics; loading a state_dict resets
        # them). Without gradients here, to keep construction cheap.
        with torch.no_grad():
            fc_len = self.blocks(torch.rand(1, *input_dim)).numel()
        self.fc = nn.Linear(fc_len, classes)

    def forward(self, x):
        x = self.model(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


def resnet(config, input_dim, classes):
    net = Network(config, tuple(input_dim), classes)
    return Ref(net, net, F.cross_entropy, aliases={"model.Main_blocks.": "blocks."})


# --- aihwkit's LeNet5 (examples/04_lenet5_training.py and 06_*.py) ---------
#
# Sequential(Conv2d(C, 16, 5), Tanh, MaxPool2d(2), Conv2d(16, 32, 5), Tanh,
# MaxPool2d(2), Tanh, Flatten, Linear(512, 128), Tanh, Linear(128, classes),
# LogSoftmax), trained with CrossEntropyLoss on the log-softmax output. The
# widths, kernel and activation are the lenet space's hyperparameters. The
# logits are the output of index 10; the loss is the example's.

ACTIVATIONS = {0: nn.Tanh, 1: nn.ReLU, 2: nn.Sigmoid}


def lenet(config, input_dim, classes):
    c, h, w = input_dim
    k = int(config["kernel"])
    c1, c2 = int(config["channels1"]), int(config["channels2"])
    hidden = int(config["hidden"])
    act = ACTIVATIONS[int(config["activation"])]
    h2 = ((h - k + 1) // 2 - k + 1) // 2
    w2 = ((w - k + 1) // 2 - k + 1) // 2
    net = nn.Sequential(
        nn.Conv2d(c, c1, k), act(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, k), act(), nn.MaxPool2d(2),
        act(), nn.Flatten(),
        nn.Linear(c2 * h2 * w2, hidden), act(),
        nn.Linear(hidden, classes),
        nn.LogSoftmax(dim=1))
    body = net[:11]
    tail = net[11]
    # Example 4's CrossEntropyLoss on log-probabilities: equal to NLL, as
    # log_softmax is idempotent.
    return Ref(net, body, lambda z, y: F.cross_entropy(tail(z), y))


# --- aihwkit's MLP (examples/03_mnist_training.py) -------------------------
#
# Sequential(Linear(C*H*W, w1), act, ..., Linear(w_depth, classes),
# LogSoftmax) on images flattened by view() outside the model, NLL loss on
# the log-softmax. Example 3 is depth 2, widths 256 and 128, sigmoid. The
# mlp space codes the activation as 0 relu, 1 tanh, 2 sigmoid.

MLP_ACTIVATIONS = {0: nn.ReLU, 1: nn.Tanh, 2: nn.Sigmoid}


def mlp(config, input_dim, classes):
    depth = int(config["depth"])
    act = MLP_ACTIVATIONS[int(config["activation"])]
    layers, n_in = [], input_dim[0] * input_dim[1] * input_dim[2]
    for j in range(1, depth + 1):
        width = int(config["width%d" % j])
        layers += [nn.Linear(n_in, width), act()]
        n_in = width
    layers += [nn.Linear(n_in, classes), nn.LogSoftmax(dim=1)]
    net = nn.Sequential(*layers)
    body = net[:-1]
    tail = net[-1]
    return Ref(net, lambda x: body(x.view(x.shape[0], -1)),
               lambda z, y: F.nll_loss(tail(z), y))


BUILDERS = {"resnet": resnet, "lenet": lenet, "mlp": mlp}


def build(space, config, input_dim, classes):
    if space not in BUILDERS:
        raise ValueError("no reference network for space %r" % space)
    return BUILDERS[space](config, input_dim, classes)


# --- safetensors, by hand --------------------------------------------------

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def read_safetensors(path):
    """{name: tensor} from a .safetensors file, checking the layout the
    format requires: F32 or I64 (num_batches_tracked, as PyTorch keeps it),
    offsets contiguous from 0 without holes or overlaps, data ending at the
    end of the file."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("%s: shorter than the header length" % path)
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError("%s: header length %d beyond the file" % (path, n))
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    spans = []
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in DTYPES:
            raise ValueError("%s: %s has dtype %s" % (path, name, meta["dtype"]))
        dtype, size = DTYPES[meta["dtype"]]
        begin, end = meta["data_offsets"]
        count = math.prod(meta["shape"])
        if end - begin != size * count:
            raise ValueError("%s: %s: %d bytes for shape %s"
                             % (path, name, end - begin, meta["shape"]))
        spans.append((begin, end, name))
        raw = bytearray(data[begin:end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(meta["shape"]).clone()
    spans.sort()
    pos = 0
    for begin, end, name in spans:
        if begin != pos:
            raise ValueError("%s: %s starts at %d, want %d" % (path, name, begin, pos))
        pos = end
    if pos != len(data):
        raise ValueError("%s: %d bytes of data, tensors cover %d" % (path, len(data), pos))
    return out


def write_safetensors(path, tensors):
    """Write {name: tensor} as safetensors, names sorted: int64 tensors
    (num_batches_tracked) as I64, everything else as F32."""
    header, chunks, pos = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.int64:
            dtype, raw = "I64", t.numpy().astype("<i8").tobytes()
        else:
            dtype, raw = "F32", t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [pos, pos + len(raw)]}
        chunks.append(raw)
        pos += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)
