"""tolka.Conversation: escalation, slots, times, redaction, JSON and pickling."""

import datetime
import json
import pickle

import pytest

import tolka

CET = datetime.timezone(datetime.timedelta(hours=1))


def test_escalates_on_a_request_for_a_person(analyzer):
    chat = tolka.Conversation()
    first = chat.turn(analyzer, "Where is my order #A-10293?")
    assert first["escalation"]["escalate"] is False
    assert chat.turn(analyzer, "It ships Friday.", speaker="agent").get("escalation") is None
    turn = chat.turn(analyzer, "I want to talk to a real person")
    assert turn["escalation"]["escalate"] is True
    assert "human_requested" in turn["escalation"]["reasons"]
    assert turn["slots"]["order_id"]["value"] == {"kind": "order_id", "value": "A-10293"}
    assert turn["slots"]["order_id"]["turn"] == 0


def test_dates_resolve_against_the_turn_time(analyzer):
    chat = tolka.Conversation()
    when = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=CET)
    turn = chat.turn(analyzer, "Can you deliver it tomorrow?", time=when)
    assert turn["slots"]["date"]["value"] == {"kind": "date", "value": "2026-03-11"}
    turn = chat.turn(analyzer, "or tomorrow then", time="2026-04-02T09:00:00+02:00")
    assert chat.slots["date"]["value"]["value"] == "2026-04-03"
    with pytest.raises(ValueError):
        chat.turn(analyzer, "tomorrow", time="2026-04-02T09:00:00")


def test_state_round_trips_and_keeps_no_personal_data(analyzer):
    chat = tolka.Conversation(redact=True)
    turn = chat.turn(analyzer, "my card 4111 1111 1111 1111, mail anna@example.se")
    assert turn["redacted_text"] == "my card [CARD], mail [EMAIL]"
    copy = pickle.loads(pickle.dumps(chat))
    assert copy == chat
    assert tolka.Conversation.from_json(chat.to_json()) == chat
    assert json.loads(chat.to_json())["version"] == 1
    a = chat.turn(analyzer, "where is it?", time="2026-03-10T10:00:00+01:00")
    b = copy.turn(analyzer, "where is it?", time="2026-03-10T10:00:00+01:00")
    assert a == b
    out = json.dumps(turn) + chat.to_json()
    for pii in ("4111 1111", "4111111111111111", "anna@example.se"):
        assert pii not in out
    state = json.loads(chat.to_json())
    state["version"] = 2
    with pytest.raises(tolka.InvalidInputError, match="version 2"):
        tolka.Conversation.from_json(json.dumps(state))
    with pytest.raises(tolka.InvalidInputError):
        chat.turn(analyzer, "hi", speaker="robot")
