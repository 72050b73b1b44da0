#!/usr/bin/python3
"""bench/torch_models.py — the models of models/ in PyTorch, timed.

Each model file of models/ is written here again with torch.nn: the same
layer sizes, loss, optimizer and hyperparameters, batch and sequence
lengths, trained on random data of the right shapes.  A row times
training steps (zero_grad, forward, loss, backward, optimizer step) after
a warm-up; the models that netc compiles for a batch of 64 or more (the
MNIST classifiers, the MLPs) are also timed forward only, in eval mode
under torch.no_grad(), at batch 1 and 64, at the same thread settings.

OPENBLAS_NUM_THREADS must be set before torch is imported, so the script
runs itself once per OpenBLAS setting (--openblas) and keeps, for each
model and torch thread count (torch.set_num_threads), the best setting.

Input: the options below.  Output: JSON Lines rows on stdout,
  {"suite": "pytorch", "name": MODEL, "mode": "train" | "infer",
   "batch": B, "threads": T, "openblas_threads": N,
   "steps_per_second": X, "samples_per_second": Y, ...}
With --mnist-train DIR: one epoch of the first model of --models on the
MNIST files in DIR (bench/run --memory measures its memory), one row
with mode "mnist-train".

Run it with /usr/bin/python3: Debian's PyTorch 1.13.
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError as e:
    sys.exit("torch_models.py: cannot import torch (%s): run me with "
             "/usr/bin/python3" % e)


# ---- the models -----------------------------------------------------------

class Spec:
    """One model: how to build it, its data, loss and optimizer."""

    def __init__(self, build, data, loss, optimizer, batch, seq=None,
                 clip_value=None, l2=0.0, compiles=True, infer=False):
        self.build = build            # () -> nn.Module
        self.data = data              # (batch) -> (inputs, targets)
        self.loss = loss              # (outputs, targets) -> scalar
        self.optimizer = optimizer    # (parameters) -> torch.optim
        self.batch = batch
        self.seq = seq                # steps of a sequence model
        self.clip_value = clip_value  # clip value(x) of the train block
        self.l2 = l2                  # l2 of the train block
        self.compiles = compiles      # netc compiles the model today
        self.infer = infer            # also timed forward only (netc
                                      # compiles it for batch >= 64)


def text_sizes(text):
    """The text data source's constants: vocab (distinct characters), T."""
    return len(set(text)), len(text) - 1


def mlp(sizes, activation, last=None):
    """Linear layers of `sizes`, `activation` between, `last` at the end."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation())
    if last:
        layers.append(last())
    return nn.Sequential(*layers)


def xavier(module):
    """Xavier-uniform weights and zero biases (the models written from
    their equations); default initialization elsewhere."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return module


class LastStep(nn.Module):
    """rnn/lstm/gru/birnn/bilstm over the rows, dense on h[-1]: the last
    step of the output (for a bidirectional cell the concatenation, whose
    backward half has read only the last row, as the prelude's)."""

    def __init__(self, cell, features, hidden, classes, bidirectional=False):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True,
                        bidirectional=bidirectional)
        self.out = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h[:, -1])


class EveryStep(nn.Module):
    """A recurrent layer and one dense layer shared by every step:
    z[t] = dense(h[t], outputs)."""

    def __init__(self, cell, features, hidden, outputs):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h)


class CharRnn(nn.Module):
    """Experiment A from its equations, with the same operations:
    h[t] = tanh(Wxh @ x[t] + Whh @ h[t-1] + bh), z[t] = Why @ h[t] + by."""

    def __init__(self, vocab, hidden, bias):
        super().__init__()
        self.Wxh = nn.Parameter(torch.randn(hidden, vocab) * 0.01)
        self.Whh = nn.Parameter(torch.randn(hidden, hidden) * 0.01)
        self.Why = nn.Parameter(torch.randn(vocab, hidden) * 0.01)
        self.bh = nn.Parameter(torch.zeros(hidden)) if bias else None
        self.by = nn.Parameter(torch.zeros(vocab)) if bias else None

    def forward(self, x):                     # x: (batch, T, vocab)
        h = x.new_zeros(x.shape[0], self.Whh.shape[0])
        z = []
        for t in range(x.shape[1]):
            a = x[:, t] @ self.Wxh.t() + h @ self.Whh.t()
            h = torch.tanh(a + self.bh if self.bh is not None else a)
            o = h @ self.Why.t()
            z.append(o + self.by if self.by is not None else o)
        return torch.stack(z, 1)


class MemoryAdagrad:
    """Adagrad with eps inside the square root (netc's eps_inside_sqrt):
    m += g*g; p -= lr * g / sqrt(m + eps)."""

    def __init__(self, params, lr, eps):
        self.params = list(params)
        self.lr, self.eps = lr, eps
        self.memory = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        for p, m in zip(self.params, self.memory):
            m.addcmul_(p.grad, p.grad)
            p.addcdiv_(p.grad, (m + self.eps).sqrt_(), value=-self.lr)


def cnn(in_channels, side, channels, kernel, hidden):
    """Experiment E's convolutional classifiers (netc does not compile
    them yet)."""
    c1, c2 = channels
    s = (side - kernel + 1) // 2 - kernel + 1
    layers = [nn.Conv2d(in_channels, c1, kernel), nn.BatchNorm2d(c1),
              nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(c1, c2, kernel),
              nn.BatchNorm2d(c2), nn.ReLU(), nn.Flatten()]
    sizes = [c2 * s * s] + hidden
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.Sigmoid()]
    layers.append(nn.Linear(sizes[-1], 10))
    return nn.Sequential(*layers)


# ---- data: random, of the models' shapes ---------------------------------

def images(batch):
    return torch.rand(batch, 784), torch.randint(10, (batch,))


def rows(batch):
    """MNIST read row by row: 28 steps of 28 features."""
    return torch.rand(batch, 28, 28), torch.randint(10, (batch,))


def onehot(batch, steps, classes):
    return F.one_hot(torch.randint(classes, (batch, steps)), classes).float()


def text_data(vocab, steps):
    return lambda b: (onehot(b, steps, vocab),
                      torch.randint(vocab, (b, steps)))


def recall_data(steps):
    return lambda b: (onehot(b, steps, 10), torch.randint(10, (b,)))


def bits_data(steps):
    return lambda b: (torch.randint(2, (b, steps, 2)).float(),
                      torch.randint(2, (b, steps, 1)).float())


# ---- losses, with the model files' reductions ----------------------------

def ce_mean(z, y):
    return F.cross_entropy(z, y)


def ce_sum(z, y):                       # cross_entropy(..., batch = sum)
    return F.cross_entropy(z, y, reduction="sum")


def ce_steps_mean(z, y):                # the mean over steps and batch
    return F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1))


def ce_steps_sum(z, y):                 # steps = sum, batch = mean
    flat = F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1),
                           reduction="sum")
    return flat / z.shape[0]


def sse_sum(xhat, x):                   # sse(xhat, x, batch = sum)
    return ((xhat - x) ** 2).sum()


def bce_logits(z, y):
    return F.binary_cross_entropy_with_logits(z, y)


# ---- optimizers, with the model files' hyperparameters -------------------

def sgd(lr, momentum=0.0):
    return lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum)


def adam(lr, betas=(0.9, 0.999), eps=1e-8):
    return lambda p: torch.optim.Adam(p, lr=lr, betas=betas, eps=eps)


def adagrad(lr):
    return lambda p: torch.optim.Adagrad(p, lr=lr)


def rmsprop(lr, alpha):
    return lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha)


def memory_adagrad(lr, eps):
    return lambda p: MemoryAdagrad(p, lr=lr, eps=eps)


def specs():
    """Every model of models/, by its name there."""
    s = {}
    s["mlp"] = Spec(lambda: xavier(mlp([784, 64, 10], nn.Sigmoid)),
                    images, ce_sum, sgd(0.001, 0.9), 128, infer=True)
    s["mlp_seed"] = Spec(lambda: xavier(mlp([784, 64, 10], nn.Sigmoid)),
                         images, ce_sum, sgd(0.001), 128, infer=True)
    s["mlp_torch"] = Spec(lambda: mlp([784, 64, 10], nn.Sigmoid),
                          images, ce_mean, sgd(0.003, 0.9), 5)
    s["autoencoder"] = Spec(
        lambda: xavier(mlp([784, 32, 32, 32, 784], nn.ReLU, nn.Sigmoid)),
        lambda b: (torch.rand(b, 784),) * 2, sse_sum, sgd(3e-5, 0.9), 36)
    for name, act in (("tiny_mlp_relu", nn.ReLU),
                      ("tiny_mlp_sigmoid", nn.Sigmoid)):
        s[name] = Spec(lambda act=act: xavier(mlp([2, 64, 2], act)),
                       lambda b: (torch.rand(b, 2), torch.randint(2, (b,))),
                       ce_mean, adam(0.001), 128, infer=True)
    vocab, steps = text_sizes("You are a good guy")
    for name, bias in (("char_rnn", True), ("char_rnn_nobias", False)):
        s[name] = Spec(lambda bias=bias: CharRnn(vocab, 50, bias),
                       text_data(vocab, steps), ce_steps_sum,
                       memory_adagrad(0.1, 1e-8), 1, seq=steps,
                       clip_value=5.0)
    word_rnns = (("word_rnn", "Acknowledgement", 20,
                  adam(0.1, (0.9, 0.99), 1e-8)),
                 ("word_rnn_adagrad", "Acknowledgement", 20, adagrad(0.1)),
                 ("word_rnn_rmsprop", "Acknowledgement", 20,
                  rmsprop(0.01, 0.99)),
                 ("word_rnn_edgement", "edgement", 5, adam(0.1)))
    for name, text, hidden, opt in word_rnns:
        v, t = text_sizes(text)
        s[name] = Spec(lambda v=v, hidden=hidden: EveryStep(nn.RNN, v,
                                                            hidden, v),
                       text_data(v, t), ce_steps_mean, opt, 1, seq=t)
    # G: lengths 3 .. 10, timed at the longest
    for name, cell in (("index_recall_rnn", "RNN"),
                       ("index_recall_lstm", "LSTM"),
                       ("index_recall_gru", "GRU")):
        s[name] = Spec(lambda cell=cell: LastStep(getattr(nn, cell), 10, 10,
                                                  10),
                       recall_data(10), ce_mean, adam(0.002), 1, seq=10)
    # H: lengths 1 .. 20, timed at the longest
    s["binary_add_lstm"] = Spec(lambda: EveryStep(nn.LSTM, 2, 5, 1),
                                bits_data(20), bce_logits, adam(0.01), 1,
                                seq=20)
    mnist_rnns = (("mnist_rnn", "RNN", 128, False, 0.001, 64),
                  ("mnist_lstm", "LSTM", 128, False, 0.001, 64),
                  ("mnist_lstm64", "LSTM", 64, False, 0.001, 64),
                  ("mnist_lstm_l2", "LSTM", 128, False, 0.001, 64),
                  ("mnist_gru", "GRU", 128, False, 0.001, 64),
                  ("mnist_bilstm", "LSTM", 128, True, 0.001, 64),
                  ("mnist_rnn_b500", "RNN", 128, False, 0.01, 500),
                  ("mnist_lstm100_b500", "LSTM", 100, False, 0.01, 500),
                  ("mnist_gru_b500", "GRU", 128, False, 0.01, 500),
                  ("mnist_birnn_b500", "RNN", 128, True, 0.01, 500),
                  ("mnist_bilstm_b500", "LSTM", 128, True, 0.01, 500))
    for name, cell, hidden, bi, lr, batch in mnist_rnns:
        s[name] = Spec(lambda cell=cell, hidden=hidden, bi=bi:
                       LastStep(getattr(nn, cell), 28, hidden, 10, bi),
                       rows, ce_mean, adam(lr), batch, seq=28,
                       l2=0.001 if name == "mnist_lstm_l2" else 0.0,
                       infer=True)
    s["cnn"] = Spec(lambda: cnn(1, 28, (8, 16), 3, [48]),
                    lambda b: (torch.rand(b, 1, 28, 28),
                               torch.randint(10, (b,))),
                    ce_mean, sgd(0.01, 0.9), 64, compiles=False)
    s["cnn_cifar"] = Spec(lambda: cnn(3, 32, (16, 16), 5, [64, 32]),
                          lambda b: (torch.rand(b, 3, 32, 32),
                                     torch.randint(10, (b,))),
                          ce_mean, sgd(0.001, 0.9), 4, compiles=False)
    return s


MODEL_NAMES = [
    "autoencoder", "binary_add_lstm", "char_rnn", "char_rnn_nobias", "cnn",
    "cnn_cifar", "index_recall_gru", "index_recall_lstm", "index_recall_rnn",
    "mlp", "mlp_seed", "mlp_torch", "mnist_bilstm", "mnist_bilstm_b500",
    "mnist_birnn_b500", "mnist_gru", "mnist_gru_b500", "mnist_lstm",
    "mnist_lstm100_b500", "mnist_lstm64", "mnist_lstm_l2", "mnist_rnn",
    "mnist_rnn_b500", "tiny_mlp_relu", "tiny_mlp_sigmoid", "word_rnn",
    "word_rnn_adagrad", "word_rnn_edgement", "word_rnn_rmsprop",
]


# ---- timing ---------------------------------------------------------------

def timed(step, seconds):
    """(steps, elapsed) of `step` run for about `seconds` after a warm-up
    of a fifth of that (at least 2 steps before, 3 timed)."""
    start = time.perf_counter()
    n = 0
    while n < 2 or time.perf_counter() - start < seconds / 5:
        step()
        n += 1
    n = 0
    start = time.perf_counter()
    while n < 3 or time.perf_counter() - start < seconds:
        step()
        n += 1
    return n, time.perf_counter() - start


def train_step(spec, model, opt, x, y):
    """The step to time: zero_grad, forward, loss, backward, update."""
    params = list(model.parameters())

    def step():
        opt.zero_grad()
        loss = spec.loss(model(x), y)
        if spec.l2:
            loss = loss + spec.l2 * sum((p * p).sum() for p in params)
        loss.backward()
        if spec.clip_value:
            nn.utils.clip_grad_value_(params, spec.clip_value)
        opt.step()
    return step


def infer_step(model, x):
    def step():
        with torch.no_grad():
            model(x)
    return step


def row(name, spec, mode, batch, threads, openblas, steps, secs):
    sps = steps / secs
    return {"suite": "pytorch", "name": name, "mode": mode, "batch": batch,
            "threads": threads, "openblas_threads": openblas,
            "steps_per_second": sps, "samples_per_second": sps * batch,
            "steps": steps, "seconds": secs, "seq_len": spec.seq,
            "netc_compiles": spec.compiles, "torch": torch.__version__}


def bench_model(name, spec, threads, openblas, seconds):
    """The rows of one model at one torch thread count."""
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = spec.build()
    opt = spec.optimizer(model.parameters())
    x, y = spec.data(spec.batch)
    n, secs = timed(train_step(spec, model, opt, x, y), seconds)
    yield row(name, spec, "train", spec.batch, threads, openblas, n, secs)
    if not spec.infer:
        return
    model.eval()
    for batch in (1, 64):
        x, _ = spec.data(batch)
        n, secs = timed(infer_step(model, x), seconds)
        yield row(name, spec, "infer", batch, threads, openblas, n, secs)


def worker(args):
    """Runs inside the environment of one OpenBLAS setting."""
    table = specs()
    openblas = int(os.environ.get("OPENBLAS_NUM_THREADS", "0"))
    for name in args.models:
        for threads in args.threads:
            for r in bench_model(name, table[name], threads, openblas,
                                 args.seconds):
                print(json.dumps(r), flush=True)
    return 0


# ---- one epoch of MNIST (bench/run --memory) -----------------------------

def read_idx(path):
    """An idx file, plain or gzipped: (dims, bytes)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        ndim = magic & 0xff
        dims = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return dims, f.read()


def find_idx(folder, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(os.path.join(folder, stem))


def load_mnist(folder, split):
    dims, pixels = read_idx(find_idx(folder, split + "-images-idx3-ubyte"))
    _, labels = read_idx(find_idx(folder, split + "-labels-idx1-ubyte"))
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).float()
    x = (x.view(dims[0], 28, 28) / 255 - 0.1307) / 0.3081
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    return x, y


def mnist_train(args):
    """One epoch of the first model on DIR's training images less the
    validation ones, then the loss over the validation and test images:
    what `MODEL train --epochs 1 --data DIR --validation N` does."""
    torch.set_num_threads(args.threads[0])
    torch.manual_seed(1)
    name = args.models[0]
    spec = specs()[name]
    start = time.perf_counter()
    x, y = load_mnist(args.mnist_train, "train")
    tx, ty = load_mnist(args.mnist_train, "t10k")
    n = x.shape[0] - args.validation
    model = spec.build()
    opt = spec.optimizer(model.parameters())
    for i in torch.randperm(n).split(spec.batch):
        train_step(spec, model, opt, x[i], y[i])()
    with torch.no_grad():
        for ex, ey in ((x[n:], y[n:]), (tx, ty)):
            spec.loss(model(ex), ey)
    print(json.dumps({"suite": "pytorch", "name": name, "mode": "mnist-train",
                      "batch": spec.batch, "threads": args.threads[0],
                      "examples": n,
                      "seconds": time.perf_counter() - start}), flush=True)
    return 0


# ---- the parent: one worker per OpenBLAS setting -------------------------

def run_worker(args, openblas):
    """The rows of a worker run with OPENBLAS_NUM_THREADS=openblas."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(openblas))
    cmd = [sys.executable, os.path.abspath(__file__), "--worker",
           "--models", ",".join(args.models),
           "--threads", ",".join(map(str, args.threads)),
           "--seconds", repr(args.seconds)]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    rows = [json.loads(line) for line in p.stdout.splitlines() if line]
    return rows, p.returncode


def best_rows(all_rows):
    """For each (model, mode, batch, threads) the fastest OpenBLAS
    setting, with what each setting gave in openblas_tried."""
    best = {}
    for r in all_rows:
        key = (r["name"], r["mode"], r["batch"], r["threads"])
        tried = best.get(key, {}).get("openblas_tried", {})
        tried[str(r["openblas_threads"])] = r["samples_per_second"]
        if key not in best or (r["samples_per_second"] >
                               best[key]["samples_per_second"]):
            best[key] = r
        best[key]["openblas_tried"] = tried
    return list(best.values())


def parse_list(text, kind=str):
    return [kind(v) for v in text.split(",") if v]


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="torch_models.py",
        description="Time the models of models/ written in PyTorch: "
        "training steps on random data, and inference for the MNIST "
        "classifiers. Prints JSON Lines.")
    p.add_argument("--models", type=parse_list,
                   help="comma-separated model names (default: all)")
    p.add_argument("--threads", type=lambda t: parse_list(t, int),
                   default=[1, 2], help="torch thread counts (default 1,2)")
    p.add_argument("--openblas", type=lambda t: parse_list(t, int),
                   default=[1, 2],
                   help="OPENBLAS_NUM_THREADS settings tried (default 1,2)")
    p.add_argument("--seconds", type=float, default=1.0,
                   help="timed seconds per row (default 1)")
    p.add_argument("--quick", action="store_true",
                   help="short runs (0.2 s per row), for smoke tests")
    p.add_argument("--all-settings", action="store_true",
                   help="print every OpenBLAS setting's row, not the best")
    p.add_argument("--list", action="store_true",
                   help="print the model names and stop")
    p.add_argument("--mnist-train", metavar="DIR",
                   help="train the first model one epoch on the MNIST idx "
                   "files in DIR (for bench/run --memory)")
    p.add_argument("--validation", type=int, default=0,
                   help="with --mnist-train: images held out (default 0)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 0.2)
    args.models = args.models or MODEL_NAMES
    unknown = [m for m in args.models if m not in MODEL_NAMES]
    if unknown:
        p.error("unknown model %s (--list names them)" % ", ".join(unknown))
    return args


def main(argv):
    args = parse_args(argv)
    if args.list:
        print("\n".join(MODEL_NAMES))
        return 0
    if args.worker:
        return worker(args)
    if args.mnist_train:
        return mnist_train(args)
    all_rows, failed = [], 0
    for openblas in args.openblas:
        rows, rc = run_worker(args, openblas)
        all_rows += rows
        failed = failed or rc
    for r in all_rows if args.all_settings else best_rows(all_rows):
        print(json.dumps(r))
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
