#!/usr/bin/env python3
"""Drives the legacy routes exactly as Project-AI's Python CloudSyncManager does on the wire.

It derives the per-user auth token from the Fernet key with cryptography's HKDF (docs/PROTOCOL.md,
"Credential"), claims the username once with a Bearer header, and from then on talks only to
CLOUD_SYNC_URL = <origin>/legacy/<token>, the way the unmodified module would: requests.post(...,
json=...) to /upload, requests.get(..., params=...) to /download and /devices, no headers of its
own, encrypted_data = the hex of the ASCII Fernet token, the payload envelope with a naive
datetime.now().isoformat() timestamp, and success only on HTTP 200.

Usage: legacy_client.py <origin> [username]; env LEGACY_CLIENT_KEY fixes the Fernet key (else a
new one). Prints one JSON object describing what it saw; exits 0 when
every check passed.
"""

import base64
import hashlib
import json
import os
import sys
from datetime import datetime

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import urllib.error
import urllib.parse
import urllib.request

try:
    import requests
except ImportError:  # Same bytes on the wire through the standard library.
    requests = None
if os.environ.get("LEGACY_CLIENT_HTTP") == "urllib":  # lets the test cover the fallback too
    requests = None


class Answer:
    def __init__(self, status_code, body):
        self.status_code = status_code
        self._body = body

    def json(self):
        return json.loads(self._body)


def http(method, url, params=None, json_body=None, headers=None):
    if requests is not None:
        res = requests.request(method, url, params=params, json=json_body, headers=headers, timeout=30)
        return Answer(res.status_code, res.content)
    if params:
        url = url + "?" + urllib.parse.urlencode(params)
    data = None
    all_headers = dict(headers or {})
    if json_body is not None:
        # requests' json= serialises with json.dumps and sets this content type.
        data = json.dumps(json_body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return Answer(res.status, res.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, err.read())


def auth_token(fernet_key: bytes, username: str) -> str:
    """docs/PROTOCOL.md: HKDF-SHA256(raw key, salt "project-ai-cloud-sync/auth/v1", info "user:"+username)."""
    raw_key = base64.urlsafe_b64decode(fernet_key)
    auth_key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"project-ai-cloud-sync/auth/v1",
        info=b"user:" + username.encode("utf-8"),
    ).derive(raw_key)
    return base64.urlsafe_b64encode(auth_key).rstrip(b"=").decode("ascii")


def device_id(hostname: str, system: str, machine: str, mac: str) -> str:
    """CloudSyncManager's device fingerprint."""
    return hashlib.sha256(f"{hostname}-{system}-{machine}-{mac}".encode()).hexdigest()[:16]


class SeedDevice:
    """The wire behaviour of CloudSyncManager.sync_upload / sync_download / list_devices."""

    def __init__(self, cloud_sync_url: str, fernet_key: bytes, device: str):
        self.cloud_sync_url = cloud_sync_url
        self.cipher = Fernet(fernet_key)
        self.device_id = device

    def sync_upload(self, username, data):
        payload = {"username": username, "device_id": self.device_id, "timestamp": datetime.now().isoformat(), "data": data}
        encrypted = self.cipher.encrypt(json.dumps(payload).encode())
        res = http("POST", f"{self.cloud_sync_url}/upload", json_body={
            "username": username,
            "device_id": self.device_id,
            "encrypted_data": encrypted.hex(),
        })
        return res.status_code == 200, res

    def sync_download(self, username):
        res = http("GET", f"{self.cloud_sync_url}/download", params={"username": username, "device_id": self.device_id})
        if res.status_code != 200:
            return None, res
        body = res.json()
        decrypted = self.cipher.decrypt(bytes.fromhex(body["encrypted_data"]))
        return {"answer": body, "payload": json.loads(decrypted)}, res

    def list_devices(self, username):
        res = http("GET", f"{self.cloud_sync_url}/devices", params={"username": username})
        return (res.json()["devices"] if res.status_code == 200 else None), res


def main():
    origin = sys.argv[1].rstrip("/")
    username = sys.argv[2] if len(sys.argv) > 2 else "python-user"
    key = os.environ.get("LEGACY_CLIENT_KEY", "").encode() or Fernet.generate_key()
    token = auth_token(key, username)
    report = {
        "http_client": "requests" if requests is not None else "urllib",
        "token_length": len(token),
        # A digest, not the token: enough for the caller to compare derivations.
        "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
        "checks": {},
    }
    checks = report["checks"]

    claim = http("PUT", f"{origin}/v1/users/{username}", headers={"Authorization": f"Bearer {token}"})
    checks["claim_status"] = claim.status_code

    cloud_sync_url = f"{origin}/legacy/{token}"
    desktop = SeedDevice(cloud_sync_url, key, device_id("desktop", "Linux", "x86_64", "0x1a2b3c4d5e6f"))
    laptop = SeedDevice(cloud_sync_url, key, device_id("laptop", "Darwin", "arm64", "0x6f5e4d3c2b1a"))
    report["device_ids"] = [desktop.device_id, laptop.device_id]

    nothing, res = laptop.sync_download(username)
    checks["download_before_upload_status"] = res.status_code
    checks["download_before_upload_is_none"] = nothing is None

    ok1, res1 = desktop.sync_upload(username, {"preferences": {"theme": "dark"}, "counter": 1})
    ok2, res2 = laptop.sync_upload(username, {"preferences": {"theme": "light"}, "counter": 2})
    checks["uploads_ok"] = [ok1, ok2]
    checks["upload_answer_keys"] = sorted(res2.json().keys())
    checks["upload_answer_status"] = res2.json().get("status")

    got, res = desktop.sync_download(username)
    checks["download_status"] = res.status_code
    if got is not None:
        checks["download_answer_keys"] = sorted(got["answer"].keys())
        checks["download_device_id"] = got["answer"]["device_id"]
        checks["download_username"] = got["answer"]["username"]
        checks["download_payload"] = got["payload"]["data"]
        checks["download_payload_device_id"] = got["payload"]["device_id"]
        # The naive local timestamp survives unchanged inside the token.
        checks["payload_timestamp_is_naive"] = datetime.fromisoformat(got["payload"]["timestamp"]).tzinfo is None

    devices, res = desktop.list_devices(username)
    checks["devices_status"] = res.status_code
    checks["device_ids_listed"] = sorted(d["device_id"] for d in devices or [])
    checks["device_entry_keys"] = sorted((devices or [{}])[0].keys())

    intruder = SeedDevice(f"{origin}/legacy/{auth_token(Fernet.generate_key(), username)}", key, "feedfacecafebeef")
    denied, res = intruder.sync_download(username)
    checks["wrong_token_status"] = res.status_code
    checks["wrong_token_error"] = res.json().get("error", {}).get("code")
    ok_wrong, res = intruder.sync_upload(username, {"evil": True})
    checks["wrong_token_upload_ok"] = ok_wrong
    checks["wrong_token_upload_status"] = res.status_code

    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
