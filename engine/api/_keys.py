"""API keys: issued once in clear, stored only as SHA-256 hashes, compared in constant time.

A key is 32 random bytes (url-safe base64, prefixed `cbk_`): high entropy, so a fast hash is
enough (a password would need a slow one). The file holds `{"keys": [{"name", "sha256"}]}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

from engine.errors import InvalidValue

_PREFIX = "cbk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The hashes of the keys allowed to use the API; the keys themselves are never kept."""

    def __init__(self, hashes: dict[str, str] | None = None) -> None:
        self._hashes: dict[str, str] = dict(hashes or {})  # name -> sha256 hex

    def issue(self, name: str) -> str:
        """A new key for `name` (returned once, in clear); only its hash is kept."""
        if not name or len(name) > 64:
            raise InvalidValue("name", "must be 1-64 characters")
        key = _PREFIX + secrets.token_urlsafe(32)
        self._hashes[name] = hash_key(key)
        return key

    def revoke(self, name: str) -> None:
        self._hashes.pop(name, None)

    def who(self, key: str | None) -> str | None:
        """The name the key was issued to, or None; compares every hash in constant time."""
        if not key or not key.startswith(_PREFIX):
            return None
        digest = hash_key(key)
        found = None
        for name, stored in self._hashes.items():
            if hmac.compare_digest(stored, digest):
                found = name
        return found

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"keys": [{"name": n, "sha256": h} for n, h in sorted(self._hashes.items())]}
        path.write_text(json.dumps(body, indent=2) + "\n")
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> ApiKeys:
        if not path.exists():
            return cls()
        try:
            body = json.loads(path.read_text())
            return cls({entry["name"]: entry["sha256"] for entry in body["keys"]})
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidValue("keys_file", f"{path} is not an API key file: {error}") from None

    def __repr__(self) -> str:
        return f"ApiKeys({sorted(self._hashes)})"
