"""Fitting a resident's session to the survey as it is now (the admin may have reloaded it).

What must hold: answers to removed or retired questions and choices, or to questions now
hidden, are dropped; the resident is moved only where the survey forces it; the session's
`step` increases only if what the resident sees changes (their buttons stay valid otherwise);
a session that already fits is returned as it is. Pure: no I/O.
"""

from __future__ import annotations

from bot.conversation.answers import pending_for, prune, questions_before, resume_point
from bot.conversation.vocabulary import Session
from bot.survey.model import Survey


def settle(survey: Survey, session: Session) -> Session:
    """Fit a session to the survey as it is now (the admin may have reloaded it).

    Answers to removed or retired questions and choices, or to questions now hidden, are
    dropped; a language no longer offered becomes the default; the resident stays on the
    current question if it is still asked and every visible question before it is answered,
    else goes to the first visible unanswered question (the last visible one if all are
    answered; the intro if none is left). The step increases only if the screen changes, so
    an unaffected resident's buttons stay valid. A session that already fits is returned as is.
    """
    language = session.language if session.language in survey.languages else None
    answers = prune(survey, session.answers)
    target = resume_point(survey, answers, session.current) if session.stage == "asking" else None
    pending: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    if target is None:
        stage, current = "intro", None
    else:
        stage, current = "asking", target.id
        earlier = session.pending if target.id == session.current else answers.get(target.id)
        pending = pending_for(target, earlier)
        history = tuple(q.id for q in questions_before(survey, answers, target.id))
    settled = session.model_copy(
        update={
            "survey_version": survey.version,
            "language": language or survey.default_language,
            "stage": stage,
            "current": current,
            "answers": answers,
            "pending": pending,
            "history": history,
        }
    )
    if settled == session:
        return session
    screen_changed = (
        (settled.stage, settled.current, settled.pending, settled.language)
        != (session.stage, session.current, session.pending, session.language)
    ) or (current is not None and answers.get(current) != session.answers.get(current))
    return settled.model_copy(update={"step": session.step + 1}) if screen_changed else settled
