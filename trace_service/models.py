"""Import every domain's storage models so the metadata (and Alembic) sees all tables."""

from __future__ import annotations


def import_all_models() -> None:
    from trace_service.credit import models as credit_models
    from trace_service.identity import models as identity_models
    from trace_service.ledger import models as ledger_models
    from trace_service.lifecycle import models as lifecycle_models
    from trace_service.tracing import models as tracing_models

    del credit_models, identity_models, ledger_models, lifecycle_models, tracing_models
