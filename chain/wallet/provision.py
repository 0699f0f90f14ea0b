"""A desk's trading Safe, ready to execute swap legs: created with its owners and threshold,
guarded by CrossbookGuard with the executor allowlisted, funded, all by real transactions.

The guard's policy is set by the Safe itself in its first transaction (a MultiSendCallOnly
batch of `configure` and `setGuard`), signed by the owners like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.signers.base import Signer
from chain.wallet.guard import GuardPolicy, enable_guard_calls, selector
from chain.wallet.safe import ZERO_ADDRESS, deploy_safe
from chain.wallet.wallet import SafeWallet

EXECUTE_SIGNATURE = ("execute((address,address,((uint8,address)[],bool,uint256)[],uint256,"
                     "uint256,uint256))")


def executor_policy(manifest: dict[str, Any], caps: Mapping[str, tuple[int, int]],
                    delay_s: int = 3_600) -> GuardPolicy:
    """Only our SwapExecutor may be called and approved; caps per token (base units, per
    transaction and per day); the world's sanctions oracle when it has one."""
    executor = Web3.to_checksum_address(manifest["execution"]["swap_executor"])
    oracle = manifest.get("sanctions_oracle")
    return GuardPolicy(
        delay_s=delay_s,
        sanctions_oracle=Web3.to_checksum_address(oracle) if oracle else ZERO_ADDRESS,
        calls=[(executor, selector(EXECUTE_SIGNATURE))], spenders=[executor],
        caps={Web3.to_checksum_address(token): cap for token, cap in caps.items()},
    )


async def provision_guarded_safe(
    w3: Web3, manifest: dict[str, Any], signers: Sequence[Signer], threshold: int,
    relayer: ChecksumAddress, policy: GuardPolicy, salt_nonce: int = 0,
) -> SafeWallet:
    """Deploy the Safe with `signers` as owners, then enable the guard with `policy`."""
    address = deploy_safe(w3, manifest["safe"], [s.address for s in signers], threshold,
                          relayer, salt_nonce)
    wallet = SafeWallet(w3, address, manifest["safe"]["multi_send_call_only"])
    guard = manifest["execution"]["guard"]
    calls = enable_guard_calls(w3, guard, address, policy)
    tx = wallet.build(calls)
    signatures = await wallet.collect(wallet.request(tx), signers)
    wallet.execute(tx, signatures, relayer)
    return wallet


def fund(w3: Web3, manifest: dict[str, Any], wallet: str, amounts: Mapping[str, int],
         sender: str) -> None:
    """Transfer test tokens (symbol -> base units) from `sender` to the wallet."""
    for symbol, amount in amounts.items():
        token = w3.eth.contract(address=manifest["tokens"][symbol]["address"],
                                abi=manifest["abis"]["TestERC20"])
        tx = token.functions.transfer(Web3.to_checksum_address(wallet), amount).transact(
            {"from": Web3.to_checksum_address(sender)})
        w3.eth.wait_for_transaction_receipt(tx, timeout=60)
