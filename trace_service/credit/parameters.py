"""Every number the rating method uses, in one versioned place (DESIGN §6).

A published rating carries ``METHOD_VERSION``; changing any default below is a new method version.
``MethodParameters.as_dict()`` is what the public method disclosure (公示) shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from trace_service.lifecycle.payloads import COMPLAINT_CATEGORIES

# 2026.2: a unit clearly worse than its peers (grade D) is graded below the minimum exposure.
METHOD_VERSION = "2026.2"


class Role(StrEnum):
    """The kinds of rated unit; each is only compared with its own kind."""

    COMPANY = "company"  # 快递企业
    OUTLET = "outlet"  # 网点
    STAFF = "staff"  # 快递员/从业人员


class Grade(StrEnum):
    """A published grade; ``insufficient_data`` is published instead of a grade, never with one."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    INSUFFICIENT_DATA = "insufficient_data"


# Severity per complaint category, ordered by the statutory penalty ceilings for the act the
# attribution implies when the fault lies with a courier. Tiers, heaviest first:
#
# 10  lost, short, empty_parcel, wrong_item, counterfeit, not_as_described, privacy_leak.
#     Attributed to a courier, these mean a parcel vanished, was emptied or had its contents
#     swapped in custody (the attribution rules only blame a courier for the last three when the
#     weight or seal changed in custody), i.e. it was opened, hidden or destroyed: 快递暂行条例
#     第四十二条 (冒领、私自开拆、隐匿、毁弃、倒卖快件: 5–10万元, serious 10–20万元, suspension up
#     to licence revocation), 邮政法 and 刑法第二百五十三条 (criminal). Leaking users' data (出售、
#     泄露用户信息) is 快递暂行条例第四十四条 (fines up to 10万元 and licence revocation) on top of
#     the 个人信息保护法 (up to 5000万元 or 5% of turnover): the same top tier.
# 6   damaged. Careless handling (抛扔、踩踏快件) has the mid ceiling of 快递市场管理办法 (2024)
#     第五十四条 (up to 3万元), but unlike the acts below it also destroys the sender's goods, which
#     the carrier must compensate (快递暂行条例 第二十七条), so it ranks above them.
# 4   unauthorised_signoff, station_drop. 快递市场管理办法 第二十八条/第五十四条: signing for the
#     user or dropping at a locker/station without consent, warning or up to 1万元, serious 1–3万元.
# 3   illegal_fee. Over-charging is a pricing violation handled by warnings and price-law orders,
#     below the handling offences; it harms money, not the parcel.
# 1   delayed, service_attitude, other. No administrative penalty: service-standard matters
#     settled by compensation or apology (快递服务国家标准 GB/T 27917), the lightest tier.
#
# The ceilings should be re-checked by the regulator's legal team before publication. The tests pin
# the order; the spacing on the 1–10 scale (as FMCSA SMS severity weights) is a judgement to tune.
_SEVERITY: dict[str, int] = {
    "lost": 10,
    "short": 10,
    "empty_parcel": 10,
    "wrong_item": 10,
    "counterfeit": 10,
    "not_as_described": 10,
    "privacy_leak": 10,
    "damaged": 6,
    "unauthorised_signoff": 4,
    "station_drop": 4,
    "illegal_fee": 3,
    "delayed": 1,
    "service_attitude": 1,
    "other": 1,
}

# Serious faults (严重失信) block the red list and nominate for the black list: the top-tier
# categories whose attribution to a courier implies a deliberate act (contents removed or swapped,
# data leaked). "lost" is top severity but left out: a lost parcel is more often misrouting than
# theft, and one misroute must not bar a firm from the red list.
_SERIOUS = frozenset(
    {"short", "empty_parcel", "wrong_item", "counterfeit", "not_as_described", "privacy_leak"}
)


def _frozen(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class MethodParameters:
    """The rating method's parameters; the defaults are method version ``METHOD_VERSION``.

    Raises ValueError on construction when the parameters are inconsistent.
    """

    version: str = METHOD_VERSION
    # Severity (1–10, FMCSA-SMS-like scale) per complaint category; see the tiers above.
    severity: Mapping[str, int] = field(default_factory=lambda: _frozen(_SEVERITY))
    # A complaint not resolved within 7 days weighs half again (×3/2): the harm lasted longer.
    unresolved_surcharge: Fraction = Fraction(3, 2)
    # (age limit in months, weight): 0–6 months ×3, 6–12 ×2, 12–24 ×1, older ×0 (FMCSA SMS).
    time_weights: tuple[tuple[int, int], ...] = ((6, 3), (12, 2), (24, 1))
    # Exposure stage weights: the share of fault opportunity in each stage of handling a parcel.
    # A unit handling N parcels end to end (pickup, custody, delivery) has exposure N.
    pickup_weight: Fraction = Fraction(1, 5)
    custody_weight: Fraction = Fraction(1, 2)
    delivery_weight: Fraction = Fraction(3, 10)
    per_million: int = 1_000_000  # rates per million parcels (百万件), as the State Post Bureau
    interval_probability: Fraction = Fraction(9, 10)  # equal-tailed 90% credible interval
    # Peer groups: units of one role split into up to `peer_bands` volume bands of equal count,
    # but never below `min_peer_group_size` units per band (method of moments needs a crowd).
    peer_bands: int = 3
    min_peer_group_size: int = 10
    # Prior safeguards: alpha floor (a flatter prior than Gamma(1/2) would let a clean record
    # look impossibly good) and cap (10^4: prior sd 1% of the mean, i.e. complete pooling).
    prior_shape_min: Fraction = Fraction(1, 2)
    prior_shape_max: Fraction = Fraction(10_000)
    # A group with no faults still needs a positive prior mean: 0.1 weighted faults per million.
    prior_rate_floor_per_million: Fraction = Fraction(1, 10)
    # Weighted counts are compound Poisson; divide by the group's Σw²/Σw so intervals stay honest.
    dispersion_adjusted: bool = True
    # Sufficiency: at least this exposure (about two weeks of one courier's deliveries) and an
    # interval no wider than this multiple of max(peer mean, own posterior mean).
    min_exposure_parcels: Fraction = Fraction(2_000)
    max_relative_interval_width: Fraction = Fraction(1)
    # ...except that a unit whose posterior puts it clearly among the worst (grade D) is graded
    # whatever its exposure, as long as its interval is narrow enough.
    clear_d_below_min_exposure: bool = True
    # Grades (the rule lives in grades.assign_grade): peer percentiles of the fitted prior and the
    # posterior probability needed to be called clearly better or clearly worse than them.
    better_percentile: Fraction = Fraction(1, 4)
    median_percentile: Fraction = Fraction(1, 2)
    worse_percentile: Fraction = Fraction(9, 10)
    grade_confidence: Fraction = Fraction(4, 5)
    serious_categories: frozenset[str] = _SERIOUS
    # 红名单: grade A in this many consecutive monthly snapshots and no serious fault in the window.
    red_list_snapshots: int = 4
    # Credit repair lifts penalties; it does not earn honours, so repaired serious faults still
    # block the red list by default.
    repaired_faults_block_red_list: bool = True
    # 黑名单 nomination: grade D in this many consecutive monthly snapshots, or at least this many
    # unrepaired serious faults attributed to the unit itself within the window.
    black_list_snapshots: int = 4
    black_list_serious_faults: Mapping[Role, int] = field(
        default_factory=lambda: _frozen({Role.STAFF: 1, Role.OUTLET: 3, Role.COMPANY: 5})
    )
    # 信用修复: minimum days between recorded rectification and the fault weighing zero, after the
    # NDRC's credit-repair rules (一般失信 3 months, 严重失信 1 year minimum publication).
    repair_min_days: int = 90
    repair_min_days_serious: int = 365
    # Decimal places published: weighted counts, rates per million, probabilities.
    count_places: int = 6
    rate_places: int = 4
    probability_places: int = 4

    def __post_init__(self) -> None:
        if set(self.severity) != set(COMPLAINT_CATEGORIES):
            raise ValueError("severity must cover exactly the complaint categories")
        if any(weight <= 0 for weight in self.severity.values()):
            raise ValueError("severity weights must be positive")
        if not self.serious_categories <= set(COMPLAINT_CATEGORIES):
            raise ValueError("serious categories must be complaint categories")
        limits = [months for months, _ in self.time_weights]
        if not limits or limits != sorted(set(limits)) or limits[0] <= 0:
            raise ValueError("time weight limits must be positive and increasing")
        if self.pickup_weight + self.custody_weight + self.delivery_weight != 1:
            raise ValueError("exposure stage weights must sum to 1")
        if not (0 < self.better_percentile < self.median_percentile < self.worse_percentile < 1):
            raise ValueError("grade percentiles must increase within (0, 1)")
        if not (Fraction(1, 2) < self.grade_confidence < 1 and 0 < self.interval_probability < 1):
            raise ValueError("grade confidence must be in (1/2, 1), interval probability in (0, 1)")
        if not 0 < self.prior_shape_min <= self.prior_shape_max:
            raise ValueError("prior shape bounds must be positive and ordered")
        if self.min_peer_group_size < 1 or self.peer_bands < 1:
            raise ValueError("peer bands and group size must be at least 1")

    @property
    def window_months(self) -> int:
        """Length of the rating window: faults older than this weigh nothing."""
        return self.time_weights[-1][0]

    def as_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (fractions as "p/q" strings), for disclosure."""
        return {item.name: _plain(getattr(self, item.name)) for item in fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"unpublishable parameter value {value!r}")


DEFAULT_PARAMETERS = MethodParameters()
