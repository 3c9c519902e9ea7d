"""The world the /events refusal tests share: the parties, their product, and one accepted listing
already in the log, so that "nothing written" is measured against a non-empty log.

Those tests (malformed bodies, signature and payload refusals, event chains, batches, never a
server error) check that every refusal is a problem+json with a stable code, and that nothing is
written: the checkpoint's tree size and the stored entries stay where they were.

A module that wants a world without that first event defines its own `world` fixture.
"""

from __future__ import annotations

import pytest

from tests.lifecycle.flow import GTIN, PRICE, World, build_world


@pytest.fixture
def world(client, make_party) -> World:
    w = build_world(client, make_party)
    # A first accepted event, so "nothing written" is measured against a non-empty log.
    w.record(
        "listing",
        f"01/{GTIN}/21/SEED",
        w.merchant,
        platform=w.platform.party_id,
        listing_ref="L-0",
        price=PRICE,
    )
    return w
