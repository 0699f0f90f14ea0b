"""Execute a plan's bridge legs: every destination screened, every leg a guarded Safe transaction.

A leg is refused before anything is signed when the compliance screener does not allow every
address it touches (the recipient, the token, the bridge contract); otherwise its calls (approve
and lock, or burn) are batched into one SafeTx, signed by the signer quorum and executed, and the
bridge transfer it started is returned for tracking.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_typing import ChecksumAddress

from chain.bridge import BridgeQuote, BridgeTransfer, LockMintBridge
from chain.signers import Signer
from chain.wallet import SafeWallet
from engine.errors import TerminalError
from risk.compliance import AddressRole, Decision, Screener, ScreeningRequest


class LegRefused(TerminalError):
    """Compliance did not allow a treasury leg; nothing was signed or sent."""

    def __init__(self, request_id: str, decision: Decision, reasons: Sequence[str]) -> None:
        self.request_id = request_id
        self.decision = decision
        self.reasons = tuple(reasons)
        super().__init__(f"treasury leg {request_id} refused by compliance ({decision.value}): "
                         f"{'; '.join(self.reasons) or 'no reason given'}")


def screen_bridge_leg(screener: Screener, request_id: str, bridge: LockMintBridge,
                      quote: BridgeQuote, recipient: ChecksumAddress) -> None:
    """Raise `LegRefused` unless every address of the leg is allowed."""
    route = bridge.route(quote.source_chain_id, quote.destination_chain_id, quote.token)
    decision = screener.screen(ScreeningRequest.of(request_id, bridge.name, [
        (recipient, AddressRole.RECIPIENT),
        (quote.token, AddressRole.TOKEN),
        (route.contract, AddressRole.COUNTERPARTY),
    ]))
    if decision.decision is not Decision.ALLOW:
        raise LegRefused(request_id, decision.decision,
                         [f"{r.code.value}: {r.text}" for r in decision.reasons])


async def send_bridge_leg(
    *, request_id: str, bridge: LockMintBridge, quote: BridgeQuote,
    recipient: ChecksumAddress, wallet: SafeWallet, signers: Sequence[Signer],
    relayer: ChecksumAddress, screener: Screener,
) -> BridgeTransfer:
    """Screen, sign and execute one bridge leg from the Safe `wallet`."""
    screen_bridge_leg(screener, request_id, bridge, quote, recipient)
    calls = bridge.source_calls(quote, recipient)
    tx = wallet.build(calls)
    signatures = await wallet.collect(wallet.request(tx), signers)
    receipt = wallet.execute(tx, signatures, relayer)
    return bridge.transfer_from_receipt(quote, wallet.address, recipient, receipt)
