"""The grader's comments said twice (two runs at once) and notices a person deleted, planned
over plain tickets: the oldest copy stays, and a notice recorded as given is not said again."""

from __future__ import annotations

from dataclasses import replace

from test_desired import read
from test_history import CLUB, CTX, CUSTOMER, minutes, ticket

from tracker.desired import desire, duplicate_comments
from tracker.model import Action, Comment, DeleteComment, EditComment, PostComment, Ticket
from tracker.protocol import (
    DATA_PREFIX,
    STATUS,
    join_parts,
    marker_key,
    notice_record,
    notices_given,
    part_body,
    split_parts,
    with_marker,
)

BOT = CLUB.bot.login


def plan(t: Ticket) -> tuple[Action, ...]:
    p, view, h = read(t)
    return desire(p, view, h, CTX).actions


def bot(comment_id: int, key: str, body: str, at: int = 20, login: str = BOT) -> Comment:
    return Comment(comment_id, login, with_marker(key, body), minutes(at), is_bot=True)


def first_words(t: Ticket) -> PostComment:
    """What the grader says first on ``t``: everything new in one comment (status last)."""
    posts = [a for a in plan(t) if isinstance(a, PostComment)]
    key, body = join_parts([(a.key, a.body) for a in posts])
    return PostComment(t.number, key, body)


def said(t: Ticket, *comments: Comment) -> Ticket:
    return replace(t, comments=(*t.comments, *comments))


def test_a_comment_said_twice_keeps_the_oldest() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    assert words.key == "denied:100+esc:handoff:0:0+status"
    older, later = bot(900, words.key, words.body), bot(901, words.key, words.body, at=21)
    actions = plan(said(t, later, older))  # listed newest first: the id decides
    assert [a for a in actions if isinstance(a, DeleteComment | PostComment | EditComment)] == [
        DeleteComment(1, words.key, 901)
    ]


def test_a_persons_or_another_apps_copy_is_never_deleted() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    own = bot(900, words.key, words.body)
    person = Comment(901, CUSTOMER, with_marker(words.key, "copied"), minutes(21))
    app = bot(902, words.key, words.body, at=22, login="other-app[bot]")
    actions = plan(said(t, own, person, app))
    assert not [a for a in actions if isinstance(a, DeleteComment | PostComment | EditComment)]


def test_a_later_comment_saying_something_new_too_keeps_only_that() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    parts = split_parts(words.key, words.body)
    older = bot(900, words.key, words.body)
    key, body = join_parts([("denied:100", parts["denied:100"]), ("remind:x", "the new part")])
    later = bot(901, key, body, at=21)
    p, _, _ = read(said(t, older, later))
    (edit,) = duplicate_comments(p)
    assert isinstance(edit, EditComment)
    assert (edit.key, edit.comment_id) == ("remind:x", 901)
    assert edit.body == with_marker("remind:x", "the new part")


def test_of_two_status_comments_the_oldest_stays_and_shows_the_newest_content() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    fresh = split_parts(words.key, words.body)[STATUS]
    stale = bot(900, STATUS, "an older status")
    newer = bot(901, STATUS, fresh, at=21)
    others = [bot(902 + i, k, text, at=22) for i, (k, text) in enumerate(split_parts(words.key, words.body).items())
              if k != STATUS]  # fmt: skip
    actions = plan(said(t, stale, newer, *others))
    comments = [a for a in actions if isinstance(a, DeleteComment | PostComment | EditComment)]
    assert comments[0] == DeleteComment(1, STATUS, 901)
    (edit,) = comments[1:]
    assert isinstance(edit, EditComment) and edit.comment_id == 900
    assert split_parts(edit.key, edit.body)[STATUS] == fresh


def test_the_status_records_the_notices_given_with_it() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    status = part_body(with_marker(words.key, words.body), STATUS)
    assert status.split("\n")[2].startswith(DATA_PREFIX)
    assert notices_given(status) == {"denied:100", "esc:handoff:0:0"}


def _deleted_notice(t: Ticket, status_body: str) -> Ticket:
    """``t`` after the grader said ``words`` as two comments (the notices, the status) and a
    person deleted the notices."""
    return said(t, bot(901, STATUS, status_body, at=21))


def test_a_notice_a_person_deleted_is_not_said_again() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    status = split_parts(words.key, words.body)[STATUS]
    actions = plan(_deleted_notice(t, status))
    assert not [a for a in actions if isinstance(a, DeleteComment | PostComment | EditComment)]


def test_without_a_record_or_with_a_damaged_one_the_notice_is_said_again() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    status = split_parts(words.key, words.body)[STATUS]
    sig, record, text = status.split("\n", 2)
    damaged = record.replace("b64:", "b64:e30", 1)  # another object, the digest of the first
    for body in (f"{sig}\n{text}", f"{sig}\n{damaged}\n{text}"):
        actions = plan(_deleted_notice(t, body))
        posts = [a for a in actions if isinstance(a, PostComment)]
        assert [a.key for a in posts] == ["denied:100", "esc:handoff:0:0"]
        (edit,) = [a for a in actions if isinstance(a, EditComment)]  # the record is written again
        assert notices_given(part_body(edit.body, STATUS)) == {"denied:100", "esc:handoff:0:0"}


def test_a_record_in_a_persons_comment_counts_for_nothing() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    status = split_parts(words.key, words.body)[STATUS]
    forged = Comment(901, CUSTOMER, with_marker(STATUS, status), minutes(21))
    posts = [a for a in plan(said(t, forged)) if isinstance(a, PostComment)]
    assert [a.key for a in posts] == ["denied:100", "esc:handoff:0:0", STATUS]


def test_a_new_notice_is_recorded_in_the_status_comment_it_is_not_said_in() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    parts = split_parts(words.key, words.body)
    sig, _, text = parts[STATUS].split("\n", 2)
    status = bot(901, STATUS, f"{sig}\n{notice_record({'esc:handoff:0:0'})}\n{text}", at=21)
    escalated = bot(902, "esc:handoff:0:0", parts["esc:handoff:0:0"], at=21)
    actions = plan(said(t, status, escalated))  # the denial was never said
    (post,) = [a for a in actions if isinstance(a, PostComment)]
    assert post.key == "denied:100"
    (edit,) = [a for a in actions if isinstance(a, EditComment)]
    assert edit.comment_id == 901 and marker_key(edit.body) == STATUS
    assert notices_given(part_body(edit.body, STATUS)) == {"denied:100", "esc:handoff:0:0"}


def test_a_status_comment_that_repeats_an_older_part_is_edited_once() -> None:
    t = ticket((CUSTOMER, "/grade l1", 1))
    words = first_words(t)
    parts = split_parts(words.key, words.body)
    older = bot(900, "esc:handoff:0:0", parts["esc:handoff:0:0"])
    denied = bot(901, "denied:100", parts["denied:100"])
    key, body = join_parts([("esc:handoff:0:0", parts["esc:handoff:0:0"]), (STATUS, "an older status")])
    status = bot(902, key, body, at=21)
    actions = plan(said(t, older, denied, status))
    (edit,) = [a for a in actions if isinstance(a, DeleteComment | PostComment | EditComment)]
    assert isinstance(edit, EditComment) and (edit.comment_id, edit.key) == (902, STATUS)
    assert split_parts(edit.key, edit.body) == {STATUS: parts[STATUS]}
