"""Flow versions are kept with their definition, read back for the sessions still on them."""

from __future__ import annotations

from storage import UpdateId
from tests.storage.conftest import World, at


async def test_the_versions_in_use_come_back_with_their_definition(world: World) -> None:
    repo = world.repo
    # The world's rounds are on "review" v1, registered without a definition (an older
    # release): registering the same source again keeps the definition now.
    again = await repo.register_flow("review", 1, "a" * 64, "Review", at(7), '{"id": "review"}')
    assert again is False
    assert await repo.flow_definitions_in_use() == []  # no session yet
    session = await repo.start_session(world.named.id, world.participants[0], {}, 1, at(8))
    assert await repo.flow_definitions_in_use() == [("review", 1, '{"id": "review"}')]
    await repo.apply_step(UpdateId(1), session.id, {}, [], [], at(9), status="submitted")
    assert await repo.flow_definitions_in_use() == []  # finished: nothing to serve


async def test_a_new_version_is_registered_with_its_definition(world: World) -> None:
    repo = world.repo
    assert await repo.register_flow("review", 2, "b" * 64, "Review", at(7), '{"v": 2}')
    round_ = await repo.open_round(world.cohort.id, "review", 2, False, world.facilitator, at(8))
    await repo.start_session(round_.id, world.participants[1], {}, 2, at(9))
    assert await repo.flow_definitions_in_use() == [("review", 2, '{"v": 2}')]
