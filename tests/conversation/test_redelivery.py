"""A message is applied once (issue 16 item 2): Telegram delivers an update again when the bot
crashed after storing its step but before confirming it. A button press is then stale by its
step; a typed message carries its chat-local id, and one the session has applied already must
not be applied again (as the answer to the next question): the current screen is shown again.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.engine import (
    AlreadyAnswered,
    Ask,
    Began,
    ChoicePicked,
    Event,
    Finished,
    Opened,
    Restarted,
    TextSent,
    Unexpected,
)
from bot.conversation.service import StepResult, SurveyService
from bot.privacy.pseudonyms import Pseudonyms
from bot.survey.model import Survey
from storage import MemoryStore
from tests.analysis_key import ANALYSIS_PRIVATE, ANALYSIS_PUBLIC
from tests.conversation.conftest import NOW, Resident


def at_age(resident: Resident) -> Resident:
    """`resident` on the number question `age` (after safe -> very_safe)."""
    resident.do("open", "begin", "pick:very_safe")
    reply = resident.reply
    assert isinstance(reply, Ask) and reply.question.id == "age"
    return resident


def test_a_typed_answer_delivered_again_is_not_the_answer_to_the_next_question(
    resident: Resident,
) -> None:
    at_age(resident)
    resident.send(TextSent("30", message=11))
    after_first = resident.session
    assert after_first is not None and after_first.current == "area"
    assert after_first.answers["age"] == 30 and after_first.message == 11

    again = resident.send(TextSent("30", message=11))

    assert again.session == after_first, "applied twice"
    (reply,) = again.replies
    assert isinstance(reply, Ask) and reply.question.id == "area" and reply.problem is None
    assert reply.step == after_first.step, "the screen shown again has working buttons"


def test_a_message_older_than_the_last_applied_one_is_not_applied_either(
    resident: Resident,
) -> None:
    """An invalid message is recorded too: delivered again after a later answer, it must not
    become the answer to the question that is asked now."""
    at_age(resident)
    resident.send(TextSent("old enough", message=11))  # not a number: asked again
    assert resident.session is not None and resident.session.message == 11
    resident.send(TextSent("30", message=12))
    resident.do("pick:centre")  # now on the free-text question `comment`
    on_comment = resident.session
    assert on_comment is not None and on_comment.current == "comment"

    for late in (TextSent("old enough", message=11), TextSent("30", message=12)):
        shown = resident.send(late)
        assert shown.session == on_comment and shown.completed is None
        (reply,) = shown.replies
        assert isinstance(reply, Ask) and reply.question.id == "comment"


def test_a_restart_delivered_again_does_not_wipe_what_came_after_it(resident: Resident) -> None:
    at_age(resident)
    resident.send(Restarted(message=20))
    resident.do("pick:very_safe")
    resident.send(TextSent("44", message=21))
    kept = resident.session
    assert kept is not None and kept.answers["age"] == 44

    for late in (Restarted(message=20), TextSent("44", message=21), Opened("sv", message=19)):
        assert resident.send(late).session == kept


def test_messages_without_an_id_and_new_messages_are_applied(resident: Resident) -> None:
    at_age(resident)
    resident.send(TextSent("30", message=11))
    resident.send(Unexpected("sticker", message=12))  # a hint; recorded
    assert resident.session is not None and resident.session.message == 12
    resident.send(Unexpected("edited"))  # an edit carries no id of its own: always handled
    assert resident.session.message == 12
    resident.send(TextSent("/help", message=13))
    assert resident.session.message == 13


async def test_the_service_stores_a_typed_answer_delivered_twice_once(survey: Survey) -> None:
    """Through the service and a store: the answer delivered again is not stored as the next
    answer, and the last answer delivered again does not complete the survey twice."""
    store = MemoryStore(analysis_key=ANALYSIS_PUBLIC, batch=1)
    service = SurveyService(survey, store, Pseudonyms(b"k" * 32, cost=2**8), clock=lambda: NOW)
    user = 4242

    async def press(make: Callable[[int], Event]) -> StepResult:
        assert result.after is not None
        return await service.step(user, make(result.after.step))

    result = await service.step(user, Opened("sv", message=1))
    result = await press(Began)
    result = await press(lambda step: ChoicePicked(step, "very_safe"))
    first = await service.step(user, TextSent("30", message=5))
    assert first.after is not None and first.after.current == "area"

    second = await service.step(user, TextSent("30", message=5))

    assert second.after == first.after
    (reply,) = second.replies
    assert isinstance(reply, Ask) and reply.question.id == "area"
    assert reply.problem is None, "the resident did nothing wrong: no hint"
    result = second
    result = await press(lambda step: ChoicePicked(step, "centre"))
    done = await service.step(user, TextSent("Fine here", message=7))
    assert done.after is None and isinstance(done.replies[0], Finished)
    again = await service.step(user, TextSent("Fine here", message=7))
    assert again.after is None and isinstance(again.replies[0], AlreadyAnswered)

    (response,) = await store.responses(survey.id, ANALYSIS_PRIVATE)
    assert response.answers == {"safe": "very_safe", "age": 30, "area": "centre"}
    assert await store.free_texts(survey.id) == [("comment", "Fine here")]
    assert await store.count_sessions(survey.id) == 0
