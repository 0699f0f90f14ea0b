"""A Safe made through the real proxy factory: our SafeTx hash equals the contract's, and a
transaction signed 2-of-3 in our signature encoding executes."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.signers import SafeSignature, SignatureKind
from chain.wallet import (
    CALL,
    SafeTx,
    WalletError,
    deploy_safe,
    encode_signatures,
    safe_contract,
    safe_tx_hash,
)

pytestmark = pytest.mark.integration


def _owners(count: int) -> list[LocalAccount]:
    # Test keys derived from fixed labels: deterministic, and never used outside tests.
    return [Account.from_key(Web3.keccak(text=f"crossbook-test-owner-{i}")) for i in range(count)]


def _ecdsa(owner: LocalAccount, digest: bytes) -> SafeSignature:
    signed = owner.unsafe_sign_hash(digest)
    data = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    return SafeSignature(owner.address, SignatureKind.ECDSA, data)


def test_safe_when_tx_signed_2_of_3_then_hash_matches_contract_and_it_executes(
    w3: Web3, devnet: dict[str, Any],
) -> None:
    owners = _owners(3)
    sender = w3.eth.accounts[0]
    safe_address = deploy_safe(w3, devnet["safe"], [o.address for o in owners], 2, sender, 7)
    safe = safe_contract(w3, safe_address)
    assert safe.functions.getThreshold().call() == 2
    assert sorted(safe.functions.getOwners().call()) == sorted(o.address for o in owners)
    w3.eth.send_transaction({"from": sender, "to": safe_address, "value": 10**18})
    recipient = Web3.to_checksum_address("0x" + "ab" * 20)
    tx = SafeTx(to=recipient, value=4 * 10**17, data=b"", operation=CALL,
                nonce=safe.functions.nonce().call())
    digest = safe_tx_hash(devnet["chain_id"], safe_address, tx)
    on_chain = safe.functions.getTransactionHash(*tx.exec_args(b"")[:9], tx.nonce).call()
    assert digest == bytes(on_chain)
    one = encode_signatures([_ecdsa(owners[2], digest)])
    with pytest.raises(Exception, match="GS020"):  # signatures data too short for threshold 2
        safe.functions.execTransaction(*tx.exec_args(one)).call({"from": sender})
    both = encode_signatures([_ecdsa(owners[2], digest), _ecdsa(owners[0], digest)])
    safe.functions.execTransaction(*tx.exec_args(both)).transact({"from": sender})
    assert w3.eth.get_balance(recipient) == 4 * 10**17
    assert safe.functions.nonce().call() == tx.nonce + 1


def test_signatures_when_owner_twice_or_bad_v_then_refused(w3: Web3) -> None:
    owner = _owners(1)[0]
    digest = Web3.keccak(text="anything")
    with pytest.raises(WalletError, match="each owner may sign once"):
        encode_signatures([_ecdsa(owner, digest), _ecdsa(owner, digest)])
    bad = SafeSignature(owner.address, SignatureKind.ECDSA, b"\x00" * 65)
    with pytest.raises(WalletError, match="v 27 or 28"):
        encode_signatures([bad])


def test_deploy_safe_when_threshold_out_of_range_then_refused(
    w3: Web3, devnet: dict[str, Any],
) -> None:
    with pytest.raises(WalletError, match="threshold"):
        deploy_safe(w3, devnet["safe"], [o.address for o in _owners(2)], 3, w3.eth.accounts[0])
