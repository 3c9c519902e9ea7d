"""The hidden truth of a simulation run, written as JSON Lines for the evaluation command and
read back by it (`read_truth`).

Format ``trace-sim-truth/1`` (stable; a change of meaning gets a new format name). UTF-8, one JSON
object per line, each with a ``"record"`` member naming its kind. Times are RFC 3339 UTC strings,
party ids are the registered ones, hashes are the event hashes of the log. The same parameters
and seed produce the same file, byte for byte.

``simulation`` (first line): ``format``; ``params`` (parcels, months, seed, start, end,
batch_size, max_batch_span_s); ``regulator`` and ``platforms`` (party ids); the models the run
drew from: ``base_rates`` (duty → category → median rate per million handled),
``merchant_rates``, ``complaint_probability``, ``behaviour``, ``spread``; ``rules``
(``version``, ``empty_parcel_below_g``) of the attribution rules the evidence was planted for.

``complaint`` (one per complaint accepted into the log, in log order):
  ``hash`` the complaint event's hash (from its ingest receipt); ``parcel`` the waybill subject
  (``wb/<company>/<number>``) it is about; ``time``; ``category`` (payloads.COMPLAINT_CATEGORIES);
  ``signer`` {``kind``: buyer | platform | merchant, ``party_id``: null for the buyer's key};
  ``kind``: genuine (a real fault, complained by the verified buyer), malicious (a competitor's
  false complaint relayed by a platform; nothing was wrong), empty_parcel (a 刷单 merchant's empty
  parcel, complained by the platform's audit or by the merchant itself to shift the blame),
  fabricated (a courier recorded a delivery it never made), unfounded (a buyer complains though
  nothing went wrong); ``responsible`` the party truly at fault, or null when nobody was;
  ``responsible_role`` staff | merchant | null; ``stage`` where the fault happened: pickup,
  origin_hub, destination_hub, hub (a parcel within one city), last_mile, or null (merchant
  faults and no fault); ``evidence`` a code for what the records show (e.g.
  no_onward_record, weight_lost_between_records, damage_noted_by_next_receiver,
  held_past_leg_budget, drop_without_consent, nothing_wrong_in_records,
  declared_below_threshold, fabricated_in_person_no_receipt); ``expected`` {``rule``,
  ``party``}: the attribution rule the evidence should trigger under ``rules.version`` and the
  party it should blame (null when it should blame nobody). ``expected.party`` differs from
  ``responsible`` where the records cannot clear an innocent courier: a malicious
  service_attitude complaint, or a malicious "lost" one on an in-person delivery the buyer never
  signed for (both blame the courier who delivered).

``refusal`` (one per deliberate adversarial event the rules refused, in submission order):
  ``hash``, ``parcel``, ``code`` (the refusal's problem code), ``signer`` party id, ``category``.

``unit`` (after the run; every courier company, outlet and staff member):
  ``party_id``; ``role`` company | outlet | staff; ``name``; ``company``; ``outlet`` (staff;
  null otherwise); ``city``; ``duty`` (staff: pickup | sorter | last_mile; outlets: hub |
  outlet; companies: null); ``profile`` typical | bad | good (staff; outlets and companies:
  null); ``flags`` (victim, aggressor for companies; fabricator for a staff member);
  ``handled`` parcels it took custody of (pickups, hub receipts or last-mile receipts; for an
  outlet or a company the sum over its staff); ``rates_per_million`` the hidden fault rate per
  category per million parcels handled (for outlets and companies, the handled-weighted mean of
  their staff's); ``expected_faults`` rate × handled / 10⁶; ``faults`` faults that actually
  happened, by category (``fabricated_delivery`` for the fabricator's invented deliveries,
  whose chance per parcel is ``fabrication_per_million``). Faults strike every parcel handled,
  fake 刷单 ones included, but a sockpuppet never complains. A parcel suffers one fault at
  most: holders after a faulty one carry it without a draw (about 2 % of parcels), and a
  weight-loss fault drawn for a parcel too light to show it is committed as damage instead,
  so ``faults`` run slightly below ``expected_faults``.

``merchant`` (after the run; every merchant): ``party_id``, ``name``, ``city``, ``platform``,
  ``flags`` (empty_parcel for a 刷单 merchant), ``orders``, ``rates_per_million`` (goods faults
  per million genuine orders), ``faults`` (goods faults that happened; ``empty_parcel`` counts
  fake orders shipped empty).

``summary`` (last line): ``parcels`` dispatched, ``events`` submitted, ``accepted``,
  ``refused_adversarial``, ``complaints`` by kind, ``end``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from trace_service.simulate.params import (
    BASE_RATES,
    BEHAVIOUR,
    COMPLAINT_PROBABILITY,
    MERCHANT_RATES,
    SPREAD,
)
from trace_service.simulate.world import Unit, World
from trace_service.tracing.rulebook import DEFAULT_RULES

FORMAT = "trace-sim-truth/1"


class TruthWriter:
    """Streams the truth file: header first, complaints as ingest accepts them, units last."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("w", encoding="utf-8")
        self.complaints: Counter[str] = Counter()
        self.refusals = 0

    def __enter__(self) -> TruthWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.file.close()

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def header(self, world: World) -> None:
        self.write(
            {
                "record": "simulation",
                "format": FORMAT,
                "params": world.params.as_json(),
                "regulator": world.regulator.party_id,
                "platforms": [p.party_id for p in world.platforms],
                "base_rates": {duty: dict(rates) for duty, rates in BASE_RATES.items()},
                "merchant_rates": dict(MERCHANT_RATES),
                "complaint_probability": dict(COMPLAINT_PROBABILITY),
                "behaviour": asdict(BEHAVIOUR),
                "spread": asdict(SPREAD),
                "rules": {
                    "version": DEFAULT_RULES.version,
                    "empty_parcel_below_g": DEFAULT_RULES.empty_parcel_below_g,
                },
            }
        )

    def complaint(self, digest: str, truth: dict[str, Any]) -> None:
        self.complaints[str(truth["kind"])] += 1
        self.write({"record": "complaint", "hash": digest, **truth})

    def refusal(self, digest: str, attempt: dict[str, Any], code: str) -> None:
        self.refusals += 1
        self.write({"record": "refusal", "hash": digest, **attempt, "code": code})

    def finish(self, world: World, summary: dict[str, Any]) -> None:
        """Write every unit and merchant with what happened to it, then the summary."""
        units = world.units()
        staff = [u for u in units if u.role == "staff"]
        for unit in units:
            if unit.role == "staff":
                self.write(_unit(unit, [unit]))
            elif unit.role == "outlet":
                self.write(_unit(unit, [s for s in staff if s.outlet == unit.party_id]))
            else:
                self.write(_unit(unit, [s for s in staff if s.company == unit.party_id]))
        for m in world.merchants:
            self.write(
                {
                    "record": "merchant",
                    "party_id": m.principal.party_id,
                    "name": m.principal.name,
                    "city": m.principal.city.name,
                    "platform": m.platform.party_id,
                    "flags": m.hidden.flags,
                    "orders": m.hidden.handled,
                    "rates_per_million": m.hidden.rates,
                    "faults": dict(sorted(m.hidden.faults.items())),
                }
            )
        self.write(
            {
                "record": "summary",
                **summary,
                "refused_adversarial": self.refusals,
                "complaints": dict(sorted(self.complaints.items())),
            }
        )


def _unit(unit: Unit, staff: list[Unit]) -> dict[str, Any]:
    handled = sum(s.hidden.handled for s in staff)
    expected: defaultdict[str, float] = defaultdict(float)
    faults: Counter[str] = Counter()
    for s in staff:
        for category, rate in s.hidden.rates.items():
            expected[category] += rate * s.hidden.handled / 1e6
        faults.update(s.hidden.faults)
    if unit.role == "staff":
        rates = dict(unit.hidden.rates)
    else:
        rates = {c: round(n / handled * 1e6, 1) if handled else 0.0 for c, n in expected.items()}
    record: dict[str, Any] = {
        "record": "unit",
        "party_id": unit.party_id,
        "role": unit.role,
        "name": unit.name,
        "company": unit.company,
        "outlet": unit.outlet,
        "city": None if unit.city is None else unit.city.name,
        "duty": unit.duty,
        "profile": unit.hidden.profile if unit.role == "staff" else None,
        "flags": unit.hidden.flags,
        "handled": handled,
        "rates_per_million": rates,
        "expected_faults": {c: round(n, 3) for c, n in sorted(expected.items())},
        "faults": dict(sorted(faults.items())),
    }
    if "fabricator" in unit.hidden.flags:
        record["fabrication_per_million"] = BEHAVIOUR.fabrication * 1e6
    return record


# --------------------------------------------------------------------------- reading it back


class TruthFormatError(ValueError):
    """The truth file is not a trace-sim-truth/1 file."""


@dataclass
class Truth:
    """A truth file as read back: its header, complaints in log order, units and merchants by
    party id, and the summary."""

    header: dict[str, Any]
    complaints: list[dict[str, Any]] = field(default_factory=list)
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    merchants: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def read_truth(path: Path) -> Truth:
    """Load a truth file; raises TruthFormatError when it is not one."""
    truth: Truth | None = None
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            record = json.loads(line)
            kind = record.get("record")
            if truth is None:
                if kind != "simulation" or record.get("format") != FORMAT:
                    raise TruthFormatError(f"{path}:{number}: not a {FORMAT} file")
                truth = Truth(record)
            elif kind == "complaint":
                truth.complaints.append(record)
            elif kind == "unit":
                truth.units[record["party_id"]] = record
            elif kind == "merchant":
                truth.merchants[record["party_id"]] = record
            elif kind == "summary":
                truth.summary = record
    if truth is None:
        raise TruthFormatError(f"{path} is empty")
    return truth
