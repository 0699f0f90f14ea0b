"""Execution algorithms: parent orders worked over time, every child through the OMS gate.

    algo = Twap(oms, router, "twap-1", TwapParams(symbol="WETH/USDC", side=Side.BUY,
                                                   qty=Decimal("10"), duration_ns=60 * 10**9,
                                                   slices=12, randomize=0.3))
    progress = await algo.run()          # pause(), resume(), cancel() from another task
"""

from engine.algos._base import AlgoParams, AlgoProgress, AlgoState, ExecAlgo, ProgressListener
from engine.algos._iceberg import Iceberg, IcebergParams
from engine.algos._immediate import Immediate, ImmediateParams
from engine.algos._registry import ALGOS, algo_for, validated
from engine.algos._schedule import Twap, TwapParams, Vwap, VwapParams, estimate_profile
from engine.algos._sniper import Sniper, SniperParams
from engine.algos._volume import (
    MeasuredVolume,
    NoVolumeProfile,
    VenueVolume,
    bucket_volumes,
    measure_volume,
    volume_feeds,
)

__all__ = [
    "ALGOS",
    "AlgoParams",
    "AlgoProgress",
    "AlgoState",
    "ExecAlgo",
    "Iceberg",
    "IcebergParams",
    "Immediate",
    "ImmediateParams",
    "MeasuredVolume",
    "NoVolumeProfile",
    "ProgressListener",
    "Sniper",
    "SniperParams",
    "Twap",
    "TwapParams",
    "VenueVolume",
    "Vwap",
    "VwapParams",
    "algo_for",
    "bucket_volumes",
    "estimate_profile",
    "measure_volume",
    "validated",
    "volume_feeds",
]
