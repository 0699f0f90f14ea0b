"""`crossbook signer`: keystores made and read by the real command, and the signing service
run as its own process, reached by a RemoteSigner over loopback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from chain.signers import (
    RemoteSigner,
    RequestKind,
    SigningRefused,
    SigningRequest,
    recover_owner,
)
from chain.wallet import SafeTx, safe_tx_hash

from cli import crossbook

pytestmark = pytest.mark.integration

PASSWORD = "cli-test-password"


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, **env})


@pytest.fixture
def keystore(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "custody.json"
    made = _run("signer", "new", "--keystore", str(path), "--password-env", "CB_KS_PW", "--json",
                env={"CB_KS_PW": PASSWORD})
    assert made.returncode == 0, made.stderr
    return path, json.loads(made.stdout)["address"]


def test_signer_new_then_show_when_password_right_then_same_owner(
    keystore: tuple[Path, str],
) -> None:
    path, address = keystore
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = _run("signer", "show", "--keystore", str(path), "--password-env", "CB_KS_PW",
                 "--json", env={"CB_KS_PW": PASSWORD})
    assert shown.returncode == 0 and json.loads(shown.stdout)["address"] == address
    assert Web3.is_checksum_address(address)
    wrong = _run("signer", "show", "--keystore", str(path), "--password-env", "CB_KS_PW",
                 env={"CB_KS_PW": "not-it"})
    assert wrong.returncode == 2 and "wrong password in CB_KS_PW" in wrong.stderr
    again = _run("signer", "new", "--keystore", str(path), "--password-env", "CB_KS_PW",
                 env={"CB_KS_PW": PASSWORD})
    assert again.returncode == 2 and "never overwritten" in again.stderr
    assert crossbook("signer", "serve", "--keystore", str(path), "--password-env", "CB_KS_PW",
                     "--client", "desk:CB_DESK").returncode == 2  # no rules, no --allow-all


@pytest.fixture
def service(keystore: tuple[Path, str], tmp_path: Path) -> Iterator[tuple[str, str]]:
    path, address = keystore
    rules = tmp_path / "rules.json"
    recipient = "0x" + "5e" * 20
    rules.write_text(json.dumps({"recipients": [recipient], "allow_messages": False}))
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "signer", "serve", "--keystore", str(path),
         "--password-env", "CB_KS_PW", "--client", "desk:CB_DESK", "--rules", str(rules)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CB_KS_PW": PASSWORD, "CB_DESK": "desk-secret"})
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        assert started["address"] == address
        yield started["url"], address
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0


async def test_signer_serve_when_client_signs_then_service_key_signs_by_its_rules(
    service: tuple[str, str],
) -> None:
    url, address = service
    async with await RemoteSigner.connect(url, "desk", b"desk-secret",
                                          expected_address=address) as remote:
        message = SigningRequest("cli-1", RequestKind.MESSAGE, Web3.keccak(text="m"), {})
        with pytest.raises(SigningRefused) as refused:
            await remote.sign(message)
        assert refused.value.rule == "message_kind"
        native = {"safe": "0x" + "11" * 20, "chain_id": 31337, "to": "0x" + "5e" * 20,
                  "value": 0, "data": "0x", "operation": 0, "nonce": 0}
        tx = SafeTx(to=Web3.to_checksum_address(native["to"]), value=0, data=b"", operation=0,
                    nonce=0)
        digest = safe_tx_hash(31337, native["safe"], tx)
        signature = await remote.sign(SigningRequest("cli-2", RequestKind.SAFE_TX, digest,
                                                     native))
    assert recover_owner(digest, signature.data) == address
