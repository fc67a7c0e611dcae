"""Times Python's cryptography Fernet for bench/crypto.ts, as a Project-AI device calls it.

Usage: python3 crypto-python.py SIZE... ; prints JSON {"<size>": {"encrypt": MB/s, "decrypt": MB/s}, "version": ...}.
Each figure is the best of several rounds of process CPU time, as bench/crypto.ts measures the Node side.
"""

import json
import os
import sys
import time

from cryptography import __version__ as cryptography_version
from cryptography.fernet import Fernet

ROUNDS = 15
ROUND_SECONDS = 0.01


def best_rate(size, call):
    call()  # warm-up
    best = 0.0
    for _ in range(ROUNDS):
        n = 0
        start = time.process_time()
        while True:
            call()
            n += 1
            elapsed = time.process_time() - start
            if elapsed >= ROUND_SECONDS:
                break
        best = max(best, size * n / elapsed / 1e6)
    return best


def main():
    fernet = Fernet(Fernet.generate_key())
    result = {"version": cryptography_version}
    for size in map(int, sys.argv[1:]):
        plaintext = os.urandom(size)
        token = fernet.encrypt(plaintext)
        result[str(size)] = {
            "encrypt": best_rate(size, lambda: fernet.encrypt(plaintext)),
            "decrypt": best_rate(size, lambda: fernet.decrypt(token)),
        }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
