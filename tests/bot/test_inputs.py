"""Callback data and /start payloads come from the client: whatever it sends is parsed into
typed, bounded values or refused, never an exception (and a refused button gets a toast)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.callbacks import MAX_ID, Choices, MenuButton, SurveyButton, decode, parse_id
from bot.deeplinks import JoinLink, RoundLink, facilitator_payload, read_payload
from bot.i18n import translator
from tests.bot.conftest import BotWorld

FLOWS = frozenset({"satisfaction", "swot"})
# Text close to what this bot writes, so that the parser's every branch is reached.
NEAR = st.text(alphabet="ms|rcfd!:0123456789²٣-_ abjlangopenstatusclosecancelresume", max_size=40)
ANY = st.one_of(NEAR, st.text(max_size=80))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("9223372036854775807", MAX_ID),
        ("9223372036854775808", None),  # past SQLite's integers
        ("0", None),
        ("²", None),  # str.isdigit() says yes
        ("٣", None),  # an Arabic-Indic digit: int() would read it
        ("+1", None),
        (" 1", None),
        ("", None),
    ],
)
def test_ids_are_ascii_digits_that_fit_sqlite(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    "data",
    [
        "m|round|²",
        "m|round|9223372036854775808",
        "m|open|c1:fsatisfaction:d-1",  # a deadline in the past
        "m|open|c1:fsatisfaction:d5",  # a deadline no button offers
        "m|open|c1:fnowhere",  # a flow that does not exist
        "m|open|c1:c2",
        "m|close|r1:!x",
        "m|forget|",
        "m|lang|de",
        "m|nosuchaction|1",
        "s|1|²|p|yes",
        "s|9223372036854775808|0|p|yes",
        "s|1|0|z|",
    ],
)
def test_forged_callback_data_is_refused(data: str) -> None:
    assert decode(data, FLOWS) is None


def test_callback_data_this_bot_writes_reads_back() -> None:
    assert decode("m|open|c12:fsatisfaction:d7:!", FLOWS) == MenuButton(
        "open",
        "c12:fsatisfaction:d7:!",
        Choices(cohort=12, flow="satisfaction", days=7, confirmed=True),
    )
    assert decode("m|round|5", FLOWS) == MenuButton("round", "5", Choices(number=5))
    assert decode("m|lang|nl", FLOWS) == MenuButton("lang", "nl", Choices(language="nl"))
    assert decode("s|3|0|p|yes", FLOWS) == SurveyButton(3, 0, "p", "yes")


@given(ANY)
def test_any_callback_data_decodes_to_bounded_values_or_none(data: str) -> None:
    button = decode(data, FLOWS)
    if isinstance(button, SurveyButton):
        assert 1 <= button.session_id <= MAX_ID
        assert 0 <= button.revision <= MAX_ID
    elif isinstance(button, MenuButton):
        choices = button.choices
        for number in (choices.number, choices.cohort, choices.round):
            assert number is None or 1 <= number <= MAX_ID
        assert choices.days in (None, 0, 3, 7, 14)
        assert choices.flow is None or choices.flow in FLOWS


@given(ANY)
def test_any_start_payload_reads_as_a_bounded_link_or_none(payload: str) -> None:
    link = read_payload(payload, "secret")
    if isinstance(link, RoundLink):
        assert 1 <= link.round_id <= MAX_ID
    elif isinstance(link, JoinLink):
        assert link.invite_code.isascii()
        assert link.invite_code.isalnum()


def test_a_cofacilitator_link_needs_the_bots_signature() -> None:
    signed = facilitator_payload("secret", "abc123")
    assert read_payload(signed, "secret") == JoinLink("abc123", "facilitator")
    assert read_payload(signed, "another secret") is None
    assert read_payload(signed[:-1] + "é", "secret") is None  # not ASCII: no comparison at all


# ---- through the real Application and the sandbox ----------------------------------------------

FACILITATOR, USER = 7000, 7001


@pytest.fixture
async def errors(world: BotWorld) -> list[object]:
    """What reached the bot's error handler (a parse that raised); the two users exist."""
    await world.client.create_user("Fatou", user_id=FACILITATOR, started=True)
    await world.client.create_user("Zoé", user_id=USER, started=True)
    found: list[object] = []

    async def record(update: object, context: Any) -> None:
        found.append(context.error)

    assert world.app is not None
    world.app.add_error_handler(record)
    return found


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(payload=ANY)
async def test_start_with_any_payload_never_fails(
    world: BotWorld, errors: list[object], payload: str
) -> None:
    await world.client.send_command(USER, f"/start {payload}".strip())
    await world.idle()
    assert errors == []


@FUZZ
@given(data=ANY)
async def test_any_button_data_never_fails(
    world: BotWorld, errors: list[object], data: str
) -> None:
    await world.client.send_command(USER, "/start")
    message = await world.last(USER)
    query = await world.client.press_button(USER, message, forged=data)
    await world.idle()
    assert errors == []
    assert (await world.client.callback_answer(query)).answered


@pytest.mark.parametrize(
    "payload", ["r²", "r9223372036854775808", "f_", "fabc_zzzzzzzzzz", "j", "jé"]
)
async def test_start_payloads_that_used_to_crash_are_a_plain_start(
    world: BotWorld, errors: list[object], payload: str
) -> None:
    await world.client.send_command(USER, f"/start {payload}")
    assert errors == []
    assert "/newcohort" in (await world.last(USER)).content  # the welcome of a plain /start


@pytest.mark.parametrize(
    "forged",
    ["m|open|c{cohort}:fsatisfaction:d-1", "m|round|²", "m|open|c{cohort}:fnowhere", "m|forget|"],
)
async def test_a_forged_button_gets_the_stale_toast_and_changes_nothing(
    world: BotWorld, errors: list[object], forged: str
) -> None:
    round_ = await world.cohort_with_round(FACILITATOR, [USER])
    await world.client.send_command(FACILITATOR, "/help")
    message = await world.last(FACILITATOR)
    data = forged.format(cohort=round_.cohort_id)
    query = await world.client.press_button(FACILITATOR, message, forged=data)
    await world.idle()
    assert errors == []
    stale = translator("fr")("This button is no longer valid.")
    assert (await world.client.callback_answer(query)).text == stale
    assert [r.id for r in await world.repo.repo.open_rounds_of_cohort(round_.cohort_id)] == [
        round_.id
    ]


async def test_an_edited_message_is_not_a_new_answer(world: BotWorld, errors: list[object]) -> None:
    round_ = await world.cohort_with_round(FACILITATOR, [USER], flow_id="swot")
    await world.client.send_command(USER, f"/start r{round_.id}")
    first = await world.last(USER)
    sent = await world.client.send_text(USER, "Les finitions")
    noted = await world.last(USER)
    await world.client.edit_text(USER, sent, "Les délais")
    await world.idle()
    assert errors == []
    assert "(1/10)" in noted.content
    assert not any("(2/10)" in text for text in await world.texts(USER))
    told = translator("fr")(
        "Editing a message does not change your answer. To change it, tap « Back, or change it in the review before you submit."
    )
    assert (await world.last(USER)).content == told
    assert first.message_id != (await world.last(USER)).message_id
