"""Records the service signs itself (attributions, nominations, snapshots), logged through the
same ingest path and rules as every party's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from trace_service.errors import DomainError
from trace_service.identity.service_signer import ensure_enrolled
from trace_service.lifecycle.compose import payload, sign, submission
from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.lifecycle.receipts import Receipt
from trace_service.lifecycle.subject_heads import load_heads


class ServiceRecordRefused(DomainError):
    code = "service_record_refused"
    status = 500
    title = "The service's own record broke a rule"


def record_as_service(
    session: Session,
    ctx: IngestContext,
    records: Sequence[tuple[str, str, dict[str, Any]]],
    now: datetime,
) -> list[Receipt]:
    """Sign each (type, subject, fields) with the records key at `now` and log it, chained on
    its subject's head (records on one subject are chained in order); commits.

    Raises ServiceRecordRefused when the rules refuse any (the accepted ones stay logged), and
    RuntimeError when the app has no records key.
    """
    if ctx.service_key is None:
        raise RuntimeError("no service records key in the ingest context")
    if not records:
        return []
    ensure_enrolled(session, ctx.service_key, now)
    session.commit()
    heads = {s: h.head for s, h in load_heads(session, {r[1] for r in records}).items()}
    submissions = []
    for kind, subject, fields in records:
        envelope = sign(payload(kind, subject, heads.get(subject), now, **fields), ctx.service_key)
        heads[subject] = envelope.hash
        submissions.append(submission(envelope))
    receipts: list[Receipt] = []
    for outcome in ingest(session, submissions, ctx, now):
        if isinstance(outcome, DomainError):
            raise ServiceRecordRefused(
                f"{outcome.code}: {outcome.detail}", refused=outcome.problem()
            )
        receipts.append(outcome)
    return receipts
