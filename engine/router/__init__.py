"""The smart order router: one order over every venue, the cheapest all-in split, explained."""

from engine.router.optimizer import Curve, Solution, curve_from_points, solve, truncate
from engine.router.plan import RouteLeg, RoutePlan, RouteRequest
from engine.router.router import NoRoute, Router

__all__ = [
    "Curve",
    "NoRoute",
    "RouteLeg",
    "RoutePlan",
    "RouteRequest",
    "Router",
    "Solution",
    "curve_from_points",
    "solve",
    "truncate",
]
