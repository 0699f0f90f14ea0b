"""N-hop exposure over transfers, and the exposure source in the gate."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from risk.compliance import (
    AddressRole,
    Decision,
    ExposurePolicy,
    ExposureSource,
    ListEffect,
    ListStore,
    ReasonCode,
    Screener,
    ScreeningRequest,
    Transfer,
    TransferGraph,
    parse_list_file,
    write_transfers,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "ofac"
BAD = "0x7e57000000000000000000000000000000000001"
A, B, C, D = ("0x" + f"{n:02x}" * 20 for n in (0xA1, 0xB2, 0xC3, 0xD4))


def _t(sender: str, recipient: str, amount: int = 100, ts: int = 0, token: str = "native",
       n: int = 0) -> Transfer:
    return Transfer(block=n, block_ts=ts, tx_hash=f"0x{n:064x}", log_index=-1, token=token,
                    sender=sender, recipient=recipient, amount_raw=amount)


def _chain() -> TransferGraph:
    graph = TransferGraph()
    graph.extend([_t(BAD, A, n=1), _t(A, B, n=2), _t(B, C, n=3), _t(D, A, n=4)])
    return graph


def test_exposure_when_listed_one_hop_away_then_direct() -> None:
    path = _chain().exposure(A, frozenset({BAD}), max_hops=2)
    assert path is not None and (path.hops, path.path) == (1, (A, BAD))


def test_exposure_when_two_hops_then_found_with_path_either_direction() -> None:
    graph = _chain()
    assert graph.exposure(B, frozenset({BAD}), 2).path == (B, A, BAD)  # type: ignore[union-attr]
    assert graph.exposure(D, frozenset({BAD}), 2).hops == 2  # type: ignore[union-attr]


def test_exposure_when_beyond_max_hops_then_none() -> None:
    graph = _chain()
    assert graph.exposure(C, frozenset({BAD}), 2) is None
    assert graph.exposure(C, frozenset({BAD}), 3).hops == 3  # type: ignore[union-attr]


def test_exposure_does_not_walk_through_hubs() -> None:
    graph = TransferGraph(hubs=[A])
    graph.extend([_t(BAD, A), _t(A, B)])
    assert graph.exposure(B, frozenset({BAD}), 2) is None
    assert graph.exposure(A, frozenset({BAD}), 2).hops == 1  # type: ignore[union-attr]


def test_exposure_map_gives_the_distance_of_every_address_in_reach() -> None:
    assert _chain().exposure_map(frozenset({BAD}), 2) == {BAD: 0, A: 1, B: 2, D: 2}


def test_exposure_source_when_transfers_stored_between_legs_then_second_leg_sees_them(
    store: ListStore,
) -> None:
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    engine: Engine = store.engine
    source = ExposureSource(engine, ExposurePolicy(indirect_outcome=Decision.DENY))
    screener = Screener(store, [source])
    leg = ScreeningRequest.of("leg", "v", [(B, AddressRole.COUNTERPARTY)])
    assert screener.screen(leg).decision is Decision.ALLOW
    write_transfers(engine, 31337, [_t(BAD, A, n=1), _t(A, B, n=2)])
    decision = screener.screen(leg)
    assert decision.decision is Decision.DENY
    reason = decision.verdict_for(B).reasons[0]
    assert reason.code is ReasonCode.INDIRECT_EXPOSURE and reason.score == 60
    assert decision.verdict_for(B).risk_score == 60


def test_exposure_source_skips_pools_and_tokens_but_checks_counterparties(
    store: ListStore,
) -> None:
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    write_transfers(store.engine, 31337, [_t(BAD, A, n=1)])
    screener = Screener(store, [ExposureSource(store.engine)])
    decision = screener.screen(ScreeningRequest.of("leg", "v", [
        (A, AddressRole.POOL), (A, AddressRole.COUNTERPARTY)]))
    assert [len(v.reasons) for v in decision.verdicts] == [1, 1]  # one address, screened once
    as_pool = screener.screen(ScreeningRequest.of("leg", "v", [(A, AddressRole.POOL)]))
    assert as_pool.decision is Decision.ALLOW and as_pool.reasons == ()
