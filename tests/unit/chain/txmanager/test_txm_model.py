"""The state table, request and config validation, the local signer, the public surface."""

from __future__ import annotations

import asyncio

import pytest
from eth_account import Account
from pydantic import ValidationError

import chain.txmanager as txmanager
from chain.txmanager import (
    TRANSITIONS,
    LocalKeyTxSigner,
    TxManagerConfig,
    TxRequest,
    TxSigner,
    TxState,
)

# anvil's first dev account: a public test key.
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEV_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_every_state_is_reachable_from_created() -> None:
    reached = {TxState.CREATED}
    while True:
        more = {b for a, b in TRANSITIONS if a in reached} - reached
        if not more:
            break
        reached |= more
    assert reached == set(TxState)


def test_final_and_dropped_have_no_way_out_and_reorg_returns_to_sent() -> None:
    assert not [t for t in TRANSITIONS if t[0] in (TxState.FINAL, TxState.DROPPED)]
    for mined in (TxState.MINED, TxState.FAILED, TxState.REPLACED):
        assert (mined, TxState.SENT) in TRANSITIONS


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("value_wei", -1, "value_wei must be >= 0"),
    ("gas_limit", 20_999, "gas_limit must be >= 21000"),
])
def test_request_when_field_out_of_range_then_refused_naming_it(
    field: str, value: int, rule: str
) -> None:
    with pytest.raises(ValueError, match=rule):
        TxRequest(sender=DEV_ADDRESS, to=DEV_ADDRESS, **{field: value})  # type: ignore[arg-type]


def test_config_when_unknown_key_or_bump_below_node_minimum_then_refused() -> None:
    with pytest.raises(ValidationError, match="confirmation"):
        TxManagerConfig(confirmation=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="replacement_bump_pct"):
        TxManagerConfig(replacement_bump_pct=5)


def test_local_key_signer_signs_for_its_address_and_never_shows_the_key() -> None:
    signer = LocalKeyTxSigner(DEV_KEY)
    transaction = {"chainId": 31337, "nonce": 0, "to": DEV_ADDRESS, "value": 1, "data": b"",
                   "gas": 21_000, "type": 2, "maxFeePerGas": 10, "maxPriorityFeePerGas": 1}

    raw = asyncio.run(signer.sign_transaction(transaction))

    assert isinstance(signer, TxSigner)
    assert Account.recover_transaction(raw) == DEV_ADDRESS
    assert DEV_KEY[2:] not in repr(signer) and DEV_KEY[2:] not in str(vars(type(signer)))


def test_public_surface_is_sorted_and_importable() -> None:
    names = list(txmanager.__all__)

    def isort_key(name: str) -> tuple[int, str]:  # RUF022: CONSTANTS, Classes, functions
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=isort_key) and len(set(names)) == len(names)
    assert all(hasattr(txmanager, name) for name in names)
    public = {n for n in vars(txmanager) if not n.startswith("_")}
    assert public - set(names) <= {"errors", "signing"}, "re-exported but not listed"
