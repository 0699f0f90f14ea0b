"""Limits by scope, most specific first, changeable at runtime.

A `Scope` names any subset of five dimensions: account, venue, strategy, instrument and
underlying (None = any). Each limit is resolved on its own, field by field: the value comes from
the most specific matching scope that sets that field, so a rule for one instrument that sets
only `max_order_qty` does not hide the desk's `max_order_notional`.

Precedence ("most specific wins") is a total order: a scope naming the instrument beats any
scope that does not; then the underlying; then the venue; then the strategy; then the account;
the desk scope (nothing named) comes last. Equivalently, score a scope by adding
instrument=16, underlying=8, venue=4, strategy=2, account=1 for each dimension it names; the
highest score wins. So "account A on BTC-PERP" (17) beats "BTC-PERP" (16) beats "account A on
Binance" (5) beats "account A" (1) beats the desk (0).

Per-leg limits are resolved with every dimension of the leg. Post-trade limits on positions and
Greeks are held per (account, underlying) and resolved with only those two dimensions; margin
limits per account with the account alone; the desk-wide position limits
(`max_desk_net_position`, `max_desk_gross_position`, summed over every account) per underlying
with the underlying alone. Setting a post-trade limit at a scope that could never match it
(a position limit on a venue, a margin limit on an underlying, a desk-wide limit on an account)
raises `InvalidLimit` instead of being silently ignored.

Every change bumps `version` and empties the resolution cache, so the next check sees it; the
gate runs on the OMS's one event loop, so there is no lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal

from risk.pretrade.errors import InvalidLimit

# Key order everywhere: (account, venue, strategy, instrument, underlying).
_WEIGHTS = (1, 4, 2, 16, 8)
# Resolved keys kept as asked; past this many, a lookup goes through the general key only.
_CACHE_MAX = 100_000
# Every projection mask, most specific first: bit i set = dimension i of the key is kept.
_MASKS = sorted(range(32), key=lambda mask: -sum(
    weight for bit, weight in enumerate(_WEIGHTS) if mask >> bit & 1))

ScopeKey = tuple[str | None, str | None, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a limit applies; None in a dimension matches anything."""

    account: str | None = None
    venue: str | None = None
    strategy: str | None = None
    instrument: str | None = None
    underlying: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidLimit(f"scope.{f.name}", f"must be None or a non-empty string, "
                                   f"got {value!r}")

    @property
    def key(self) -> ScopeKey:
        return (self.account, self.venue, self.strategy, self.instrument, self.underlying)

    def __str__(self) -> str:
        named = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                 if getattr(self, f.name) is not None]
        return ",".join(named) or "desk"


DESK = Scope()


@dataclass(slots=True)
class Limits:
    """Every limit, resolved for one key; None = no limit set at any matching scope.

    Units are in the names: `_bps` basis points (int), `_ns` nanoseconds (int), positions in
    underlying units and notionals in quote (Decimal), Greeks and margin ratios as float
    (analytics values: delta in underlying units, gamma per unit, vega per vol point; margin
    utilisation = maintenance / equity; liquidation buffer = the fraction the underlying may
    move before maintenance is breached).
    """

    collar_mid_bps: int | None = None
    collar_mark_bps: int | None = None
    collar_amm_bps: int | None = None
    max_reference_age_ns: int | None = None
    max_order_qty: Decimal | None = None
    max_order_notional: Decimal | None = None
    duplicate_window_ns: int | None = None
    max_net_position: Decimal | None = None
    max_gross_position: Decimal | None = None
    max_desk_net_position: Decimal | None = None
    max_desk_gross_position: Decimal | None = None
    max_net_concentration_bps: int | None = None
    max_gross_concentration_bps: int | None = None
    max_abs_delta: float | None = None
    max_abs_gamma: float | None = None
    max_abs_vega: float | None = None
    max_margin_utilisation: float | None = None
    min_liquidation_buffer: float | None = None
    scopes: dict[str, str] = field(default_factory=dict)

    def scope_of(self, name: str) -> str:
        return self.scopes.get(name, "")


_DECIMAL = ("max_order_qty", "max_order_notional", "max_net_position", "max_gross_position",
            "max_desk_net_position", "max_desk_gross_position")
_INT = ("collar_mid_bps", "collar_mark_bps", "collar_amm_bps", "max_reference_age_ns",
        "duplicate_window_ns", "max_net_concentration_bps", "max_gross_concentration_bps")
_FLOAT = ("max_abs_delta", "max_abs_gamma", "max_abs_vega", "max_margin_utilisation",
          "min_liquidation_buffer")
_KINDS: dict[str, str] = {**dict.fromkeys(_DECIMAL, "decimal"), **dict.fromkeys(_INT, "int"),
                          **dict.fromkeys(_FLOAT, "float")}
LIMIT_NAMES = frozenset(_KINDS)
# Post-trade limits are held per (account, underlying), per account or per underlying: a scope
# naming any other dimension could never match them, so setting one there is refused.
_DIMENSIONS = ("account", "venue", "strategy", "instrument", "underlying")
_ALLOWED: dict[str, frozenset[str]] = {
    **dict.fromkeys(("max_net_position", "max_gross_position", "max_net_concentration_bps",
                     "max_gross_concentration_bps", "max_abs_delta", "max_abs_gamma",
                     "max_abs_vega"), frozenset({"account", "underlying"})),
    **dict.fromkeys(("max_margin_utilisation", "min_liquidation_buffer"),
                    frozenset({"account"})),
    **dict.fromkeys(("max_desk_net_position", "max_desk_gross_position"),
                    frozenset({"underlying"})),
}


def _validate(name: str, value: object) -> object:
    if name not in _KINDS:
        raise InvalidLimit(name, f"unknown limit; known: {', '.join(sorted(_KINDS))}")
    if value is None:
        return None
    kind = _KINDS[name]
    if kind == "decimal":
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise InvalidLimit(name, f"must be a non-negative finite Decimal, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float if kind == "float" else int):
        raise InvalidLimit(name, f"must be {'a number' if kind == 'float' else 'an int'}, "
                           f"got {value!r}")
    if not 0 <= value < float("inf"):
        raise InvalidLimit(name, f"must be non-negative and finite, got {value!r}")
    return float(value) if kind == "float" else value


class LimitBook:
    """Limits and restrictions by scope; every change is visible to the next check."""

    def __init__(self, max_duplicate_window_ns: int = 3_600 * 10**9) -> None:
        self.max_duplicate_window_ns = max_duplicate_window_ns
        self._rules: dict[ScopeKey, dict[str, object]] = {}
        self._cache: dict[ScopeKey, Limits] = {}
        self._masks_in_use: list[int] = []
        # Per dimension, the values some rule names: any other value resolves as None there.
        self._named: tuple[frozenset[str], ...] = (frozenset(),) * 5
        self.restricted_venues: frozenset[str] = frozenset()
        self.restricted_instruments: frozenset[str] = frozenset()
        self.version = 0

    def set(self, scope: Scope, **values: object) -> None:
        """Set limits at `scope`; a value of None removes that limit from the scope."""
        checked = {name: _validate(name, value) for name, value in values.items()}
        named = {dim for dim, part in zip(_DIMENSIONS, scope.key, strict=True) if part}
        for name in checked:
            allowed = _ALLOWED.get(name)
            if allowed is not None and not named <= allowed:
                raise InvalidLimit(name, f"is set per {' and '.join(sorted(allowed))} only; "
                                   f"scope {scope} also names {', '.join(sorted(named - allowed))}")
        window = checked.get("duplicate_window_ns")
        if isinstance(window, int) and window > self.max_duplicate_window_ns:
            raise InvalidLimit("duplicate_window_ns", f"must be at most the gate's retention "
                               f"of {self.max_duplicate_window_ns} ns, got {window}")
        rule = self._rules.setdefault(scope.key, {})
        for name, value in checked.items():
            if value is None:
                rule.pop(name, None)
            else:
                rule[name] = value
        if not rule:
            del self._rules[scope.key]
        self._changed()

    def clear(self, scope: Scope) -> None:
        """Remove every limit set at exactly `scope`."""
        self._rules.pop(scope.key, None)
        self._changed()

    def rules(self) -> dict[Scope, dict[str, object]]:
        """Every scope with the limits set there (a copy)."""
        return {Scope(*key): dict(rule) for key, rule in self._rules.items()}

    def restrict_venue(self, venue: str, restricted: bool = True) -> None:
        self.restricted_venues = _toggle(self.restricted_venues, venue, restricted)
        self._changed()

    def restrict_instrument(self, instrument: str, restricted: bool = True) -> None:
        self.restricted_instruments = _toggle(self.restricted_instruments, instrument, restricted)
        self._changed()

    def resolve(self, key: ScopeKey) -> Limits:
        """The limits that apply to `key`, cached until the next change.

        A part of the key that no rule names cannot change the answer, so it is dropped before
        the cache lookup: a leg on an instrument no rule mentions shares the entry of its
        account, venue, strategy and underlying (no resolution per new instrument, and the
        cache stays as small as the rules)."""
        cached = self._cache.get(key)
        if cached is None:
            named = self._named
            general: ScopeKey = tuple(  # type: ignore[assignment]
                part if part in named[bit] else None for bit, part in enumerate(key))
            cached = self._cache.get(general)
            if cached is None:
                cached = self._cache[general] = self._resolve(general)
            if len(self._cache) < _CACHE_MAX:
                self._cache[key] = cached
        return cached

    def _resolve(self, key: ScopeKey) -> Limits:
        resolved = Limits()
        if not self._rules:
            return resolved
        for mask in self._masks_in_use:  # only masks some rule has, most specific first
            projected: ScopeKey = tuple(  # type: ignore[assignment]
                part if mask >> bit & 1 else None for bit, part in enumerate(key))
            if (mask and None in (projected[bit] for bit in range(5) if mask >> bit & 1)):
                continue  # the key itself leaves this dimension open: no rule can name it
            rule = self._rules.get(projected)
            if rule is None:
                continue
            for name, value in rule.items():
                if name not in resolved.scopes:
                    setattr(resolved, name, value)
                    resolved.scopes[name] = str(Scope(*projected))
        return resolved

    def _changed(self) -> None:
        self.version += 1
        self._cache.clear()
        used = {sum(1 << bit for bit, part in enumerate(key) if part is not None)
                for key in self._rules}
        self._masks_in_use = [mask for mask in _MASKS if mask in used]
        self._named = tuple(frozenset(part for key in self._rules
                                      if (part := key[bit]) is not None) for bit in range(5))


def _toggle(members: frozenset[str], name: str, present: bool) -> frozenset[str]:
    if not isinstance(name, str) or not name:
        raise InvalidLimit("name", f"must be a non-empty string, got {name!r}")
    return members | {name} if present else members - {name}
