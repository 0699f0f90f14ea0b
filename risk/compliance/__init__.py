"""Compliance: address screening and transaction-pattern screening that gate every leg.

`Screener.screen(ScreeningRequest)` screens each address a leg touches (with its role) against
pluggable sources and returns a frozen `ScreeningDecision`: allow, review or deny, the reasons
(codes and text) and the list version used, which `Screener.replay` can answer again later.

Sources: the versioned lists in a `ListStore` (OFAC SDN from `sdn.xml` or `SDN.CSV`, local deny,
allow and mixer lists), the on-chain `OracleSource`, external APIs through `ProviderSource`, and
`ExposureSource` (n-hop exposure and typologies over transfers a `TransferIndexer` reads from
the chain).
"""

from risk.compliance._lists import ListEffect, ListHit, ListSnapshot, ListStore, ListVersion
from risk.compliance._model import (
    AddressRole,
    AddressVerdict,
    Decision,
    Reason,
    ReasonCode,
    RiskCategory,
    ScreenedAddress,
    ScreeningDecision,
    ScreeningRequest,
    normalize_address,
)
from risk.compliance._ofac import (
    ListedAddress,
    ListFormat,
    ParsedList,
    detect_format,
    parse_list_file,
    parse_plain,
    parse_sdn_csv,
    parse_sdn_xml,
)
from risk.compliance._oracle import (
    ORACLE_ABI,
    OracleEvent,
    OracleSource,
    index_oracle_events,
    oracle_history,
    oracle_listed,
)
from risk.compliance._providers import (
    ExposureKind,
    HttpScreeningProvider,
    ProviderAssessment,
    ProviderPolicy,
    ProviderSource,
    RiskLevel,
    ScreeningProvider,
)
from risk.compliance._screener import AUDIT_KIND, AuditSink, Screener, decide, verdict
from risk.compliance._sources import (
    ExposurePolicy,
    ExposureSource,
    ListSource,
    ScreeningContext,
    ScreeningSource,
)
from risk.compliance._tables import DEFAULT_STORE_URL, open_store
from risk.compliance._transfers import (
    ExposurePath,
    IndexProgress,
    Transfer,
    TransferGraph,
    TransferIndexer,
    read_transfers,
    write_transfers,
)
from risk.compliance._typologies import TypologyHit, TypologyRules, all_typologies

__all__ = [
    "AUDIT_KIND",
    "DEFAULT_STORE_URL",
    "ORACLE_ABI",
    "AddressRole",
    "AddressVerdict",
    "AuditSink",
    "Decision",
    "ExposureKind",
    "ExposurePath",
    "ExposurePolicy",
    "ExposureSource",
    "HttpScreeningProvider",
    "IndexProgress",
    "ListEffect",
    "ListFormat",
    "ListHit",
    "ListSnapshot",
    "ListSource",
    "ListStore",
    "ListVersion",
    "ListedAddress",
    "OracleEvent",
    "OracleSource",
    "ParsedList",
    "ProviderAssessment",
    "ProviderPolicy",
    "ProviderSource",
    "Reason",
    "ReasonCode",
    "RiskCategory",
    "RiskLevel",
    "ScreenedAddress",
    "Screener",
    "ScreeningContext",
    "ScreeningDecision",
    "ScreeningProvider",
    "ScreeningRequest",
    "ScreeningSource",
    "Transfer",
    "TransferGraph",
    "TransferIndexer",
    "TypologyHit",
    "TypologyRules",
    "all_typologies",
    "decide",
    "detect_format",
    "index_oracle_events",
    "normalize_address",
    "open_store",
    "oracle_history",
    "oracle_listed",
    "parse_list_file",
    "parse_plain",
    "parse_sdn_csv",
    "parse_sdn_xml",
    "read_transfers",
    "verdict",
    "write_transfers",
]
