"""What ingest tells the layers above it, without knowing them: blinker signals sent with the
app as sender (Flask's own signalling), connected by whoever cares (metrics, back-tracing)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Every ingest call: `outcomes` (a receipt or a DomainError per submission), `batch` (bool).
events_ingested = _signals.signal("events-ingested")
# Complaints newly accepted: `times`, their signed times (RFC 3339); `now`, the server time.
complaints_accepted = _signals.signal("complaints-accepted")
