"""Decoding speed: plain KV-cached greedy vs copy-draft speculative (the same as `speedhints bench decode`).

    python benchmarks/bench_decode.py [--checkpoint CKPT | --bundle DIR] [--json] [--draft-len 8] [--threads 1]
"""

import sys

from speedhints.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", "decode", *sys.argv[1:]]))
