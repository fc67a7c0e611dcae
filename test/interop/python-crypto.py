"""Answers crypto questions the way Python's `cryptography` and stdlib do, for the interop tests.

Reads a JSON list of requests on stdin, writes a JSON list of answers on stdout, so a test pays for one
interpreter start. Each request is {"op": ..., ...}; a failure answers {"error": "<exception name>"}.
"""

import base64
import hashlib
import json
import platform
import socket
import sys
import uuid

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def answer(req):
    op = req["op"]
    if op == "generate_key":
        return Fernet.generate_key().decode()
    if op == "encrypt":
        f = Fernet(req["key"])
        data = req["plaintext"].encode()
        if "iv" in req:
            # A private method, used only so a test can compare tokens byte for byte with a fixed IV.
            return f._encrypt_from_parts(data, req["now"], bytes(req["iv"])).decode()
        if "now" in req:
            return f.encrypt_at_time(data, req["now"]).decode()
        return f.encrypt(data).decode()
    if op == "decrypt":
        f = MultiFernet([Fernet(k) for k in req["keys"]]) if "keys" in req else Fernet(req["key"])
        if "ttl" in req:
            return f.decrypt_at_time(req["token"], req["ttl"], req["now"]).decode()
        return f.decrypt(req["token"]).decode()
    if op == "extract_timestamp":
        return Fernet(req["key"]).extract_timestamp(req["token"])
    if op == "hkdf":
        ikm = base64.urlsafe_b64decode(req["key"])
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=req["salt"].encode(), info=req["info"].encode())
        return base64.urlsafe_b64encode(hkdf.derive(ikm)).decode().rstrip("=")
    if op == "pbkdf2":
        raw = hashlib.pbkdf2_hmac("sha256", req["passphrase"].encode(), req["salt"].encode(), req["iterations"], 32)
        return base64.urlsafe_b64encode(raw).decode()
    if op == "device_id":
        # CloudSyncManager._generate_device_id, verbatim (docs/PYTHON-DEVICES.md, "Device id").
        machine_info = f"{socket.gethostname()}-{platform.system()}-{platform.machine()}-{uuid.getnode()}"
        return hashlib.sha256(machine_info.encode()).hexdigest()[:16]
    if op == "machine_info":
        return {"hostname": socket.gethostname(), "system": platform.system(), "machine": platform.machine(), "mac": str(uuid.getnode())}
    raise ValueError(f"unknown op {op}")


def main():
    out = []
    for req in json.load(sys.stdin):
        try:
            out.append({"ok": answer(req)})
        except (InvalidToken, ValueError, TypeError) as error:
            out.append({"error": type(error).__name__})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
