"""Areas are named in the practitioner's words wherever a message names them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from needlelog import resource_files
from needlelog.domain.codes import Area
from needlelog.domain.protocol import DEFAULT_PROTOCOL
from needlelog.domain.records import TreatedArea
from needlelog.domain.validation import session_violations
from tests.domain.test_validation import NOW, TODAY
from tests.factories import make_session


def test_the_map_and_the_domain_name_each_area_alike() -> None:
    zones = json.loads(resource_files.path("maps", "zones.json").read_text("utf-8"))
    # Every area but "other" (described in words) is a zone of the map.
    assert set(zones) == {a.value for a in Area} - {Area.OTHER.value}
    assert {code: zone["label"] for code, zone in zones.items()} == {
        a.value: a.label for a in Area if a is not Area.OTHER
    }


def test_every_area_has_a_label_that_is_not_its_code() -> None:
    labels = [a.label for a in Area]
    assert len(set(labels)) == len(labels)
    for area in Area:
        assert area.label.strip() and "_" not in area.label
        assert area.label != area.value


@pytest.mark.parametrize("area", [a for a in Area if a is not Area.OTHER])
def test_rule_messages_name_the_area_by_its_label(area: Area) -> None:
    areas = (
        TreatedArea(area, Decimal("1.05"), passes=0),
        TreatedArea(area, Decimal("0.72")),
    )
    found = session_violations(make_session(areas=areas), DEFAULT_PROTOCOL, TODAY, None, NOW)
    messages = {v.field: v.message for v in found}
    assert messages == {
        "areas.0.depth_mm": f"needle depth for {area.label} is 1.05 mm; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
        "areas.0.passes": f"passes for {area.label} is 0; allowed: a whole number from 1 to 20",
        "areas.1": f"{area.label} is listed twice; allowed: each area once",
        "areas.1.depth_mm": f"needle depth for {area.label} is 0.72 mm, not on a 0.05 mm step; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
    }
    if "_" in area.value:
        assert not any(area.value in m for m in messages.values())


def test_an_other_area_is_named_by_its_description() -> None:
    areas = (TreatedArea(Area.OTHER, Decimal("1.20"), label="Scar on left temple"),)
    found = session_violations(make_session(areas=areas), DEFAULT_PROTOCOL, TODAY, None, NOW)
    assert [v.message for v in found] == [
        "needle depth for Scar on left temple is 1.20 mm; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm"
    ]
