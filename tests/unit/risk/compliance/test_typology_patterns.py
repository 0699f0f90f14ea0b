"""Typologies: structuring, fan-in/fan-out, peel chains and mixer contact."""

from __future__ import annotations

from risk.compliance import ReasonCode, Transfer, TransferGraph, TypologyRules, all_typologies
from risk.compliance._typologies import fan_out_in, mixer_contact, peel_chain, structuring

USDC = "0x" + "05" * 20
SUBJECT = "0x" + "5a" * 20


def _addr(n: int) -> str:
    return f"0x{n:040x}"


def _t(sender: str, recipient: str, amount: int, ts: int, token: str = USDC,
       n: int = 0) -> Transfer:
    return Transfer(block=ts, block_ts=ts, tx_hash=f"0x{n:064x}", log_index=n, token=token,
                    sender=sender, recipient=recipient, amount_raw=amount)


RULES = TypologyRules(structuring_thresholds_raw={USDC: 10_000_000_000},
                      fan_min_counterparties=5)


def test_structuring_when_three_deposits_just_under_threshold_in_a_day_then_flagged() -> None:
    graph = TransferGraph()
    graph.extend(_t(_addr(i + 1), SUBJECT, 9_900_000_000, ts=i * 3_600, n=i) for i in range(3))
    hits = structuring(graph, SUBJECT, RULES)
    assert [h.code for h in hits] == [ReasonCode.STRUCTURING]
    assert "3 transfers" in hits[0].text


def test_structuring_when_spread_over_days_or_far_under_then_not_flagged() -> None:
    spread, small = TransferGraph(), TransferGraph()
    spread.extend(_t(_addr(i + 1), SUBJECT, 9_900_000_000, ts=i * 90_000, n=i) for i in range(3))
    small.extend(_t(_addr(i + 1), SUBJECT, 5_000_000_000, ts=i, n=i) for i in range(3))
    assert structuring(spread, SUBJECT, RULES) == []
    assert structuring(small, SUBJECT, RULES) == []


def test_fan_out_when_many_recipients_in_window_then_flagged_and_fan_in_not() -> None:
    graph = TransferGraph()
    graph.extend(_t(SUBJECT, _addr(i + 1), 10, ts=i, n=i) for i in range(5))
    assert [h.code for h in fan_out_in(graph, SUBJECT, RULES)] == [ReasonCode.FAN_OUT]


def test_fan_in_when_below_counterparty_rule_then_not_flagged() -> None:
    graph = TransferGraph()
    graph.extend(_t(_addr(i + 1), SUBJECT, 10, ts=i, n=i) for i in range(4))
    assert fan_out_in(graph, SUBJECT, RULES) == []


def _peel(graph: TransferGraph, start: str, hops: int) -> list[str]:
    nodes, amount = [start], 1_000_000
    for hop in range(hops):
        keep = amount * 9 // 10
        nxt, peel = _addr(100 + hop), _addr(200 + hop)
        graph.add(_t(nodes[-1], nxt, keep, ts=hop * 10 + 1, n=2 * hop))
        graph.add(_t(nodes[-1], peel, amount - keep, ts=hop * 10 + 2, n=2 * hop + 1))
        nodes.append(nxt)
        amount = keep
    return nodes


def test_peel_chain_when_three_peeling_hops_from_subject_then_flagged() -> None:
    graph = TransferGraph()
    _peel(graph, SUBJECT, 3)
    assert [h.code for h in peel_chain(graph, SUBJECT, RULES)] == [ReasonCode.PEEL_CHAIN]


def test_peel_chain_when_subject_in_the_middle_then_counts_both_sides() -> None:
    graph = TransferGraph()
    nodes = _peel(graph, _addr(1), 4)
    hits = peel_chain(graph, nodes[2], RULES)
    assert hits and "4 hops" in hits[0].text


def test_peel_chain_when_forwarding_everything_then_not_a_peel() -> None:
    graph = TransferGraph()
    graph.extend([_t(SUBJECT, _addr(1), 100, 1, n=1), _t(_addr(1), _addr(2), 100, 2, n=2),
                  _t(_addr(2), _addr(3), 100, 3, n=3)])
    assert peel_chain(graph, SUBJECT, RULES) == []


def test_mixer_contact_is_a_flag_with_the_mixer_named() -> None:
    graph = TransferGraph()
    graph.add(_t(SUBJECT, _addr(9), 1, 1))
    hits = mixer_contact(graph, SUBJECT, frozenset({_addr(9)}))
    assert [h.code for h in hits] == [ReasonCode.MIXER_CONTACT] and _addr(9) in hits[0].text
    assert all_typologies(graph, SUBJECT, RULES, frozenset()) == []
