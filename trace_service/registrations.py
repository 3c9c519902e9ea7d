"""Every domain's record types, registered with the ledger in layer order (which is also the
order of the published contract): the lifecycle's, then back-tracing's, then credit's.

Imported once by the package itself, so the registry is complete before any record is read.
"""

from __future__ import annotations

from trace_service.credit import record_types as credit_types
from trace_service.ledger.records import record_type_names
from trace_service.lifecycle import record_types as lifecycle_types
from trace_service.tracing import record_types as tracing_types


def register_all() -> None:
    """Register each domain's record types (once; a second call changes nothing)."""
    if record_type_names():
        return
    lifecycle_types.register()
    tracing_types.register()
    credit_types.register()


register_all()
