"""Runs one of the authors' scripts (train.py, update.py) from a patched scratch copy with our seed policy.

Usage: python launch_theirs.py <script.py> [their args...]
Env: SRN_PARITY_SEED (int, seeds torch, numpy and random before their code runs; their scripts seed
nothing), SRN_PARITY_THREADS (int, torch intra-op threads, to match our backend's).
This file is ours; the authors' code is only imported from the scratch copy it is started in.
"""
import os
import random
import runpy
import sys


def env_int(name):
    raw = os.environ.get(name)
    try:
        return int(raw)
    except (TypeError, ValueError):
        sys.exit(f"launch_theirs.py: {name} must be an integer, got {raw!r}")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: launch_theirs.py <script.py> [args...]")
    script = os.path.abspath(sys.argv[1])
    if not os.path.isfile(script):
        sys.exit(f"launch_theirs.py: {script} not found")
    seed = env_int("SRN_PARITY_SEED")
    threads = env_int("SRN_PARITY_THREADS")

    import numpy as np
    import torch

    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    print(f"PARITY torch {torch.__version__} threads {torch.get_num_threads()} seed {seed}", flush=True)

    # Their modules import each other and `pytorch_prototyping` by name from the repository root.
    root = os.path.dirname(script)
    sys.path.insert(0, root)
    os.chdir(root)
    sys.argv = [script] + sys.argv[2:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
