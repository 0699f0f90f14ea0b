"""LocalKeySigner: signs the digest itself in the Safe's r||s||v form, loads eth-account
keystores with the password from the environment, runs its policy first, never shows its key."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import stat
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import Hash32
from signer_fixtures import DIGEST, key_for, local_signer

from chain.signers import (
    KeystoreError,
    LocalKeySigner,
    RequestKind,
    SignatureKind,
    Signer,
    SigningRefused,
    SigningRequest,
    recover_owner,
)

PASSWORD_ENV = "CROSSBOOK_TEST_KEYSTORE_PASSWORD"


def _request(digest: bytes = DIGEST, request_id: str = "r1") -> SigningRequest:
    return SigningRequest(request_id, RequestKind.MESSAGE, digest, {"why": "test"})


def _key_parts(key: bytes, width: int = 8) -> list[str]:
    """Every `width`-character window of the key's hex: none may appear anywhere."""
    text = key.hex()
    return [text[i:i + width] for i in range(len(text) - width + 1)]


class _Recording:
    def __init__(self, refuse: bool = False) -> None:
        self.seen: list[SigningRequest] = []
        self.refuse = refuse

    def review(self, signer: str, request: SigningRequest) -> None:
        self.seen.append(request)
        if self.refuse:
            raise SigningRefused(signer, "test_rule", "refused for the test")


async def test_sign_when_digest_then_65_bytes_over_the_digest_itself_recovering_to_owner() -> None:
    signer = local_signer("alice")
    signature = await signer.sign(_request())
    assert isinstance(signer, Signer)
    assert signature.kind is SignatureKind.ECDSA and signature.owner == signer.address
    assert len(signature.data) == 65 and signature.data[64] in (27, 28)
    # Independent truths: eth-account's own recovery of the raw hash (no eth_sign prefix) and
    # its own signature of the same hash.
    assert Account._recover_hash(Hash32(DIGEST), signature=signature.data) == signer.address
    expected = Account.from_key(key_for("alice")).unsafe_sign_hash(Hash32(DIGEST))
    assert signature.data == expected.signature
    assert recover_owner(DIGEST, signature.data) == signer.address
    assert signer.public_key is not None and len(signer.public_key) == 33


async def test_sign_when_policy_refuses_then_no_signature_and_rule_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = _Recording(refuse=True)
    signer = local_signer("alice", policy=policy)
    with caplog.at_level(logging.DEBUG), pytest.raises(SigningRefused) as refused:
        await signer.sign(_request())
    assert refused.value.rule == "test_rule" and refused.value.signer == "alice"
    assert [r.request_id for r in policy.seen] == ["r1"]
    assert not any("signed request" in r.getMessage() for r in caplog.records)


async def test_sign_when_policy_passes_then_it_saw_exactly_the_request_signed() -> None:
    policy = _Recording()
    signer = local_signer("alice", policy=policy)
    request = _request(request_id="r7")
    await signer.sign(request)
    assert policy.seen == [request]


async def test_keystore_when_written_and_read_back_then_same_owner_and_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "correct horse battery staple")
    signer = local_signer("alice")
    path = signer.to_keystore(tmp_path / "alice.json", PASSWORD_ENV, kdf="pbkdf2",
                              iterations=1000)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert not any(part in text for part in _key_parts(key_for("alice")))
    loaded = LocalKeySigner.from_keystore(path, PASSWORD_ENV, "alice-again")
    assert loaded.address == signer.address
    assert (await loaded.sign(_request())).data == (await signer.sign(_request())).data


def test_keystore_when_made_by_eth_account_itself_then_it_loads(tmp_path: Path) -> None:
    keystore = Account.encrypt(key_for("bob"), "pw", kdf="scrypt")
    path = tmp_path / "bob.json"
    path.write_text(json.dumps(keystore))
    loaded = LocalKeySigner.from_keystore(path, "PW_VAR", "bob", environ={"PW_VAR": "pw"})
    assert loaded.address == Account.from_key(key_for("bob")).address


def test_keystore_when_password_wrong_or_unset_then_typed_error_naming_the_variable(
    tmp_path: Path,
) -> None:
    path = local_signer("alice").to_keystore(tmp_path / "a.json", "PW", kdf="pbkdf2",
                                             iterations=1000, environ={"PW": "right"})
    with pytest.raises(KeystoreError, match="wrong password in PW") as wrong:
        LocalKeySigner.from_keystore(path, "PW", "alice", environ={"PW": "hunter2-guess"})
    with pytest.raises(KeystoreError, match=r"environment variable PW .* not set"):
        LocalKeySigner.from_keystore(path, "PW", "alice", environ={})
    assert "right" not in str(wrong.value) and "hunter2" not in str(wrong.value)
    with pytest.raises(KeystoreError, match="cannot be read"):
        LocalKeySigner.from_keystore(tmp_path / "missing.json", "PW", "x", environ={"PW": "p"})


async def test_key_when_printed_logged_or_in_errors_then_no_part_of_it_appears(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = key_for("alice")
    signer = LocalKeySigner.from_key(key, "alice", policy=_Recording(refuse=True))
    shown: list[str] = [repr(signer), str(signer), f"{signer}", repr([signer])]
    with caplog.at_level(logging.DEBUG):
        try:
            await signer.sign(_request())
        except SigningRefused as refused:
            shown.append(str(refused))
        await local_signer("alice").sign(_request())
    # A malformed key built from the real one: the error must not echo it back.
    with pytest.raises(KeystoreError) as bad:
        LocalKeySigner.from_key("0x" + key.hex()[:-2] + "zz", "alice")
    shown += [str(bad.value), repr(bad.value), str(bad.value.__cause__)]
    shown += [r.getMessage() for r in caplog.records]
    assert caplog.records, "signing should have logged something to check"
    joined = "\n".join(shown)
    assert signer.address in joined
    assert not [part for part in _key_parts(key) if part in joined.lower()]


def test_signer_when_pickled_or_copied_then_refused() -> None:
    signer = local_signer("alice")
    for attempt in (lambda: pickle.dumps(signer), lambda: copy.copy(signer),
                    lambda: copy.deepcopy(signer)):
        with pytest.raises(TypeError, match="cannot be pickled or copied"):
            attempt()


def test_generate_when_called_twice_then_distinct_owners() -> None:
    assert LocalKeySigner.generate("a").address != LocalKeySigner.generate("b").address
