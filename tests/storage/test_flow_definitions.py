"""Flow versions are kept with their definition, read back while rounds or sessions use them."""

from __future__ import annotations

from storage import UpdateId
from tests.storage.conftest import World, at, state


async def test_the_versions_in_use_come_back_with_their_definition(world: World) -> None:
    repo = world.repo
    # The world's open rounds are on "review" v1, registered without a definition (as an older
    # release did): it is in use, with nothing to read back.
    assert await repo.flow_definitions_in_use() == [("review", 1, None)]
    # Registering the same source again keeps the definition now.
    again = await repo.register_flow("review", 1, "a" * 64, "Review", at(7), '{"id": "review"}')
    assert again is False
    assert await repo.flow_definitions_in_use() == [("review", 1, '{"id": "review"}')]


async def test_a_version_stays_in_use_until_its_rounds_close_and_sessions_end(
    world: World,
) -> None:
    repo = world.repo
    session = await repo.start_session(world.named.id, world.participants[0], state(), 1, at(8))
    await repo.close_round(world.named.id, at(9))
    await repo.close_round(world.anonymous.id, at(9))
    assert [v for _, v, _ in await repo.flow_definitions_in_use()] == [1]  # the session
    await repo.apply_step(UpdateId(1), session.id, state(), [], [], at(10), status="timed_out")
    assert await repo.flow_definitions_in_use() == []


async def test_a_new_version_is_registered_with_its_definition(world: World) -> None:
    repo = world.repo
    assert await repo.register_flow("review", 2, "b" * 64, "Review", at(7), '{"v": 2}')
    await repo.open_round(world.cohort.id, "review", 2, False, world.facilitator, at(8))
    assert ("review", 2, '{"v": 2}') in await repo.flow_definitions_in_use()
