"""tests/ckpt_compare.py — compares the parameters of netc checkpoints.

usage: ckpt_compare.py INIT ONE MANY TOL
       ckpt_compare.py --meta CKPT KEY

ONE and MANY are checkpoints trained from INIT (all three safetensors
files netc wrote).  Prints one line and exits 0 when every real of every
parameter moved from INIT in both and ONE and MANY agree to TOL
(absolute); else names the first parameter and real that does not, and
exits 1.  With --meta, prints the value of KEY in CKPT's metadata
(exit 1 when it cannot).  Reads the format itself (an 8-byte header size, a JSON header,
the data) so that it needs no package.
"""
import json
import struct
import sys

SIZES = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8)}


def header_of(blob):
    (size,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + size]), 8 + size


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    header, start = header_of(blob)
    data = blob[start:]
    tensors = {}
    for name, t in header.items():
        if name in ("__metadata__", "optimizer_state", "step", "rng"):
            continue
        code, width = SIZES[t["dtype"]]
        lo, hi = t["data_offsets"]
        tensors[name] = struct.unpack("<%d%s" % ((hi - lo) // width, code),
                                      data[lo:hi])
    return tensors


def meta(path, key):
    try:
        with open(path, "rb") as f:
            print(header_of(f.read())[0]["__metadata__"][key])
    except (OSError, ValueError, KeyError, struct.error):
        return 1
    return 0


def main():
    if sys.argv[1] == "--meta":
        return meta(sys.argv[2], sys.argv[3])
    init, one, many = (read(p) for p in sys.argv[1:4])
    tol = float(sys.argv[4])
    worst, reals = 0.0, 0
    for name in init:
        for i, (a, b, c) in enumerate(zip(init[name], one[name], many[name])):
            reals += 1
            if b == a or c == a:
                print("%s[%d] did not move (%r)" % (name, i, a))
                return 1
            worst = max(worst, abs(b - c))
            if abs(b - c) > tol:
                print("%s[%d]: %r and %r differ by more than %g"
                      % (name, i, b, c, tol))
                return 1
    print("%d reals moved, largest difference %.3g" % (reals, worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
