"""A signer holding one secp256k1 key in this process, loaded from an encrypted keystore.

The key lives in an eth-account keystore (the v3 JSON format: scrypt or PBKDF2 over the
password, AES-128-CTR, a MAC) whose password is read from an environment variable named in
the configuration, never from a file. The signer signs the 32-byte digest itself (no
`eth_sign` prefix), as the Safe's `checkNSignatures` expects for v in {27, 28}.

The key never leaves the object: not in `repr`/`str`, not in logs, not in error messages (load
errors are raised without the underlying exception, whose text may quote the input), and the
object refuses to be pickled or copied.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, NoReturn

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_typing import ChecksumAddress, Hash32

from chain.errors import TerminalChainError
from chain.signers.base import (
    AllowAll,
    SafeSignature,
    SignatureKind,
    SigningPolicy,
    SigningRefused,
    SigningRequest,
)

log = logging.getLogger("chain.signers")


class KeystoreError(TerminalChainError):
    """A keystore could not be read, decrypted or written; the message never holds secrets."""


def _password(password_env: str, environ: Mapping[str, str] | None) -> str:
    source = os.environ if environ is None else environ
    password = source.get(password_env)
    if not password:
        raise KeystoreError(f"environment variable {password_env} (the keystore password) is "
                            f"not set or empty; export it before starting the signer")
    return password


class LocalKeySigner:
    """A Safe owner whose key is held here. Build it with `generate`, `from_key` or
    `from_keystore`; every `sign` runs the policy first."""

    __slots__ = ("_account", "_name", "_policy", "_public_key")

    def __init__(self, account: LocalAccount, name: str,
                 policy: SigningPolicy | None = None) -> None:
        self._account = account
        self._name = name
        self._policy: SigningPolicy = policy or AllowAll()
        self._public_key = PrivateKey(account.key).public_key.to_compressed_bytes()

    @classmethod
    def generate(cls, name: str, policy: SigningPolicy | None = None) -> LocalKeySigner:
        """A signer with a fresh random key (from the OS random source)."""
        return cls(Account.create(), name, policy)

    @classmethod
    def from_key(cls, key: bytes | str, name: str,
                 policy: SigningPolicy | None = None) -> LocalKeySigner:
        """A signer over a raw 32-byte key (bytes or hex). For tests and key import."""
        try:
            account = Account.from_key(key)
        except Exception:  # the message of eth-account's error may quote the key
            raise KeystoreError(f"signer {name}: the private key is not a valid secp256k1 "
                                f"key") from None
        return cls(account, name, policy)

    @classmethod
    def from_keystore(cls, path: str | Path, password_env: str, name: str,
                      policy: SigningPolicy | None = None,
                      environ: Mapping[str, str] | None = None) -> LocalKeySigner:
        """Decrypt a keystore v3 file with the password in environment variable `password_env`."""
        password = _password(password_env, environ)
        try:
            keystore = json.loads(Path(path).read_text())
        except (OSError, ValueError) as bad:
            raise KeystoreError(f"keystore {path} cannot be read as JSON: "
                                f"{type(bad).__name__}") from None
        try:
            key = Account.decrypt(keystore, password)
        except Exception:  # wrong password ("MAC mismatch") or a malformed keystore
            raise KeystoreError(f"keystore {path} did not decrypt: wrong password in "
                                f"{password_env}, or not a keystore v3 file") from None
        return cls.from_key(bytes(key), name, policy)

    def to_keystore(self, path: str | Path, password_env: str,
                    kdf: Literal["scrypt", "pbkdf2"] = "scrypt", iterations: int | None = None,
                    environ: Mapping[str, str] | None = None) -> Path:
        """Write the key encrypted with the password in `password_env`, readable by the owner
        only. `iterations` lowers the KDF cost (tests only)."""
        password = _password(password_env, environ)
        keystore = Account.encrypt(self._account.key, password, kdf=kdf, iterations=iterations)
        target = Path(path)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(keystore, out)
        return target

    @property
    def name(self) -> str:
        return self._name

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    @property
    def public_key(self) -> bytes:
        return self._public_key

    @property
    def policy(self) -> SigningPolicy:
        return self._policy

    async def sign(self, request: SigningRequest) -> SafeSignature:
        """Review `request` with the policy, then sign its digest: 65 bytes r || s || v."""
        return self.sign_now(request)

    def sign_now(self, request: SigningRequest) -> SafeSignature:
        """`sign` without the event loop, for callers that are not async."""
        try:
            self._policy.review(self._name, request)
        except SigningRefused as refused:
            log.info("signer %s refused request %s: %s", self._name, request.request_id,
                     refused.rule)
            raise
        signed = self._account.unsafe_sign_hash(Hash32(request.digest))
        data = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
        log.info("signer %s (%s) signed request %s, digest 0x%s", self._name, self.address,
                 request.request_id, request.digest.hex())
        return SafeSignature(self.address, SignatureKind.ECDSA, data)

    def __repr__(self) -> str:
        return f"LocalKeySigner(name={self._name!r}, address={self.address})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a LocalKeySigner holds a private key and cannot be pickled or copied")

    def __copy__(self) -> NoReturn:
        self.__reduce__()

    def __deepcopy__(self, memo: Any) -> NoReturn:
        self.__reduce__()
