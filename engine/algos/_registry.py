"""Algorithms by name, with their parameter models: what the API, CLI and recovery build from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from engine.algos._base import AlgoParams, ExecAlgo
from engine.algos._iceberg import Iceberg, IcebergParams
from engine.algos._immediate import Immediate, ImmediateParams
from engine.algos._schedule import Twap, TwapParams, Vwap, VwapParams
from engine.algos._sniper import Sniper, SniperParams
from engine.errors import InvalidValue
from engine.oms import OrderManager
from engine.router import Router

M = TypeVar("M", bound=BaseModel)

ALGOS: dict[str, tuple[type[ExecAlgo], type[AlgoParams]]] = {
    "immediate": (Immediate, ImmediateParams),
    "twap": (Twap, TwapParams),
    "vwap": (Vwap, VwapParams),
    "iceberg": (Iceberg, IcebergParams),
    "sniper": (Sniper, SniperParams),
}


def algo_for(oms: OrderManager, router: Router, parent_id: str, name: str,
             params: Mapping[str, object]) -> ExecAlgo:
    """Build the algorithm `name` with validated `params` (a dict, e.g. from JSON)."""
    if name not in ALGOS:
        raise InvalidValue("algo", f"{name!r} is not one of {sorted(ALGOS)}")
    algo_class, params_class = ALGOS[name]
    return algo_class(oms, router, parent_id, validated(params_class, params))


def validated(model: type[M], params: Mapping[str, object]) -> M:
    """`params` as `model`, or InvalidValue naming the first field that broke a rule."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "params"
        raise InvalidValue(field, first["msg"]) from None
