"""`crossbook frost keygen|sign` as an operator runs them (real subprocesses), with the
signature checked by the RFC 9591 verification here and by the FrostOwner contract on chain."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from web3 import Web3

from chain.signers.frost import core
from chain.signers.frost.owner import deploy_frost_owner, frost_owner_contract

from cli import crossbook

pytestmark = pytest.mark.integration


def test_keygen_dkg_then_sign_with_any_three_json_contract(tmp_path: Path, w3: Web3) -> None:
    keys = tmp_path / "keys"
    made = crossbook("frost", "keygen", "--threshold", "3", "--signers", "5", "--out",
                     str(keys), "--json")
    assert made.returncode == 0, made.stderr
    group = json.loads(made.stdout)
    assert group["method"] == "dkg" and group["threshold"] == 3 and group["signers"] == 5
    for i in range(1, 6):
        assert stat.S_IMODE(os.stat(keys / f"share-{i}.json").st_mode) == 0o600
        secret = json.loads((keys / f"share-{i}.json").read_text())["secret_share"]
        assert secret not in made.stdout and secret not in made.stderr
    signed = crossbook("frost", "sign", "--keys", str(keys), "--signers", "2,4,5",
                       "--message", "74657374", "--json")
    assert signed.returncode == 0, signed.stderr
    out = json.loads(signed.stdout)
    public_key, signature = bytes.fromhex(out["public_key"]), bytes.fromhex(out["signature"])
    assert len(public_key) == 33 and len(signature) == 65 and public_key.hex() == group[
        "public_key"]
    assert core.verify(core.deserialize_element(public_key), b"test", signature)
    owner = frost_owner_contract(w3, deploy_frost_owner(w3, public_key, w3.eth.accounts[0]))
    assert owner.functions.verifyMessage(b"test", signature).call() is True
    assert owner.functions.verifyMessage(b"tesT", signature).call() is False


def test_keygen_dealer_then_sign_and_usage_errors(tmp_path: Path) -> None:
    keys = tmp_path / "dealt"
    made = crossbook("frost", "keygen", "--threshold", "2", "--signers", "3", "--out",
                     str(keys), "--dealer", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["method"] == "dealer"
    signed = crossbook("frost", "sign", "--keys", str(keys), "--signers", "1,3",
                       "--message", "00" * 32)
    assert signed.returncode == 0, signed.stderr
    assert "signature" in signed.stdout
    too_few = crossbook("frost", "sign", "--keys", str(keys), "--signers", "2",
                        "--message", "00")
    assert too_few.returncode == 2 and "at least 2" in too_few.stderr
    again = crossbook("frost", "keygen", "--threshold", "2", "--signers", "3", "--out",
                      str(keys), "--dealer")
    assert again.returncode == 2 and "never overwritten" in again.stderr
    not_hex = crossbook("frost", "sign", "--keys", str(keys), "--signers", "1,2",
                        "--message", "zz")
    assert not_hex.returncode == 2 and "hex" in not_hex.stderr
    bad_threshold = crossbook("frost", "keygen", "--threshold", "4", "--signers", "3",
                              "--out", str(tmp_path / "x"))
    assert bad_threshold.returncode == 2 and "--threshold" in bad_threshold.stderr
