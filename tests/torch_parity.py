# tests/torch_parity.py — a compiled MNIST sequence model against PyTorch.
#
#   torch_parity.py data DIR COUNT
#       writes COUNT made-up 28x28 images with labels to DIR in MNIST's
#       format (train-images-idx3-ubyte, train-labels-idx1-ubyte)
#   torch_parity.py compare EXE CELL DATA INIT AFTER STEPS BATCH [L2]
#       builds the same network in PyTorch (float64) from EXE's parameters
#       in the checkpoint INIT, trains it STEPS steps of BATCH examples on
#       DATA's first images in order, with the optimizer and clipping that
#       `EXE info --json` reports (and L2 times the sum of the squared
#       parameters added to the loss), and compares every parameter with
#       the checkpoint AFTER, which EXE wrote after the same steps.
#
# CELL is rnn, lstm or gru (nn.RNN, nn.LSTM, nn.GRU): the prelude's cells
# follow PyTorch's equations and gate order, so the weights map one to one.
# A bidirectional model (parameters h.fwd.* and h.bwd.*) reads its last
# step as PyTorch's output[:, -1]. The comparison fails when a parameter
# is further from PyTorch's than TOLERANCE times how far the steps moved
# it (plus 8 float32 roundings of the parameter). With SGD a step is the gradient times the learning rate, so
# TOLERANCE can be small: float32 gradients are good to about 1e-6 of the
# largest. Adam's first steps are about lr * sign(gradient), which float
# rounding flips for entries with tiny gradients (PyTorch in float32
# against float64 differs by 1e-4 of the move too): it needs a larger one.
import gzip, json, os, struct, subprocess, sys
import numpy as np
import torch
import torch.nn as nn

TOLERANCE = {'sgd': 1e-4, 'adam': 1e-2}


def make_data(out, count):
    # Each class has its own random template; an image is its class's
    # template plus noise, so the steps have a signal to learn.
    rng = np.random.default_rng(7)
    templates = rng.integers(0, 256, (10, 28, 28))
    labels = rng.integers(0, 10, count)
    noise = rng.integers(-60, 61, (count, 28, 28))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'train-images-idx3-ubyte'), 'wb') as f:
        f.write(struct.pack('>IIII', 2051, count, 28, 28) + images.tobytes())
    with open(os.path.join(out, 'train-labels-idx1-ubyte'), 'wb') as f:
        f.write(struct.pack('>II', 2049, count) +
                labels.astype(np.uint8).tobytes())


def read_idx(path, offset):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_checkpoint(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, t in header.items():
        if name == '__metadata__' or t['dtype'] not in ('F32', 'F64'):
            continue
        dtype = np.float32 if t['dtype'] == 'F32' else np.float64
        a, b = t['data_offsets']
        raw = np.frombuffer(data[8 + n + a:8 + n + b], dtype)
        tensors[name] = torch.tensor(raw.reshape(t['shape']),
                                     dtype=torch.float64)
    return tensors


class Network(nn.Module):
    def __init__(self, cell, hidden, bidirectional):
        super().__init__()
        kind = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[cell]
        self.h = kind(28, hidden, batch_first=True,
                      bidirectional=bidirectional)
        self.logits = nn.Linear(hidden * (2 if bidirectional else 1), 10)

    def forward(self, x):
        return self.logits(self.h(x)[0][:, -1])


TORCH_NAMES = {'Wx': 'weight_ih_l0', 'Wh': 'weight_hh_l0',
               'bx': 'bias_ih_l0', 'bh': 'bias_hh_l0'}


def pairs(net, names):
    """(netc name, PyTorch parameter) for every parameter of the model."""
    for name in names:
        parts = name.split('.')
        if parts[0] == 'logits':
            yield name, getattr(net.logits, {'W': 'weight', 'b': 'bias'}
                                [parts[1]])
        elif len(parts) == 3:
            suffix = '_reverse' if parts[1] == 'bwd' else ''
            yield name, getattr(net.h, TORCH_NAMES[parts[2]] + suffix)
        else:
            yield name, getattr(net.h, TORCH_NAMES[parts[1]])


def make_optimizer(params, o):
    if o['name'] == 'sgd':
        return torch.optim.SGD(params, lr=o['lr'], momentum=o['momentum'],
                               dampening=o['dampening'],
                               weight_decay=o['weight_decay'],
                               nesterov=bool(o['nesterov']))
    if o['name'] == 'adam':
        return torch.optim.Adam(params, lr=o['lr'],
                                betas=(o['beta1'], o['beta2']), eps=o['eps'],
                                weight_decay=o['weight_decay'],
                                amsgrad=bool(o['amsgrad']))
    sys.exit('torch_parity: optimizer %s is not handled' % o['name'])


def compare(exe, cell, data, init, after, steps, batch, l2=0.0):
    info = json.loads(subprocess.run([exe, 'info', '--json'], check=True,
                                     capture_output=True).stdout)
    names = [p['name'] for p in info['params']]
    hidden = next(p['shape'][1] for p in info['params']
                  if p['name'].endswith('Wh'))
    net = Network(cell, hidden, any('.fwd.' in n for n in names)).double()
    start = load_checkpoint(init)
    with torch.no_grad():
        for name, p in pairs(net, names):
            p.copy_(start[name])
    o = info['optimizer']
    optimizer = make_optimizer(net.parameters(), o)
    images = read_idx(os.path.join(data, 'train-images-idx3-ubyte'), 16)
    labels = read_idx(os.path.join(data, 'train-labels-idx1-ubyte'), 8)
    x = torch.tensor(images.reshape(-1, 28, 28)[:steps * batch] / 255.0)
    if 'normalize=1' in info['train']['data_options']:
        x = (x - 0.1307) / 0.3081
    y = torch.tensor(labels[:steps * batch].astype(np.int64))
    for s in range(steps):
        xs, ys = x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(xs), ys)
        if l2:
            loss = loss + l2 * sum((p * p).sum() for p in net.parameters())
        loss.backward()
        if o['clip_norm']:
            nn.utils.clip_grad_norm_(net.parameters(), o['clip_norm'])
        if o['clip_value']:
            nn.utils.clip_grad_value_(net.parameters(), o['clip_value'])
        optimizer.step()
    end = load_checkpoint(after)
    tolerance = TOLERANCE[o['name']]
    worst = 0.0
    for name, p in pairs(net, names):
        diff = (p.detach() - end[name]).abs().max().item()
        move = (end[name] - start[name]).abs().max().item()
        # A float32 checkpoint rounds each parameter to 2^-24 of its size.
        floor = 8 * 2.0 ** -24 * end[name].abs().max().item()
        worst = max(worst, diff / (tolerance * move + floor))
        print('%s: max |netc - PyTorch| %.3g, max move %.3g' %
              (name, diff, move))
    print('worst: %.3g of the allowed %g of the move' % (worst, tolerance))
    return worst <= 1


def main(argv):
    if len(argv) == 3 and argv[0] == 'data':
        make_data(argv[1], int(argv[2]))
        return 0
    if len(argv) in (8, 9) and argv[0] == 'compare':
        exe, cell, data, init, after = argv[1:6]
        l2 = float(argv[8]) if len(argv) == 9 else 0.0
        ok = compare(exe, cell, data, init, after, int(argv[6]),
                     int(argv[7]), l2)
        return 0 if ok else 1
    sys.stderr.write('usage: torch_parity.py data DIR COUNT\n'
                     '       torch_parity.py compare EXE CELL DATA INIT AFTER '
                     'STEPS BATCH [L2]\n')
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
