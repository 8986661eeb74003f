"""The touchscreen's logic without a window: screens, turns, idle wipe, PIN gate, accessibility."""

from __future__ import annotations

import hashlib

import pytest

from fakes import FakeServices, ManualClock
from kiosk.errors import InputError, KioskError, MicUnavailable
from kiosk.presenters.kiosk import KioskPresenter, Settings

PIN_HASH = hashlib.sha256(b"1357").hexdigest()


class Deferred:
    """``post`` that holds callbacks until the test delivers them (the UI thread catching up later)."""

    def __init__(self) -> None:
        self.queue: list = []

    def __call__(self, fn) -> None:
        self.queue.append(fn)

    def deliver(self) -> None:
        while self.queue:
            self.queue.pop(0)()


def make(services=None, post=None, **settings):
    services = services or FakeServices()
    clock = ManualClock()
    s = Settings(idle_reset_s=45, countdown_s=10, pin_record=PIN_HASH, pin_attempts=3, pin_lockout_s=60,
                 **settings)
    p = KioskPresenter(services, run=lambda job: job(), post=post or (lambda fn: fn()), clock=clock, settings=s)
    seen = []
    p.subscribe(lambda st: seen.append(st.screen))
    p.start()
    return p, services, clock


def test_start_shows_venue_and_suggested_questions():
    p, _, _ = make(suggestions=2)
    assert p.state.screen == "attract"
    assert p.state.venue == "Test Museum"
    assert p.state.suggestions == ["When are you open?", "Where are the toilets?"]


def test_suggestion_chip_asks_and_streams_the_answer_with_its_sources():
    tokens_seen = []
    post = Deferred()
    p, svc, _ = make(post=post)
    post.deliver()
    p.tap_suggestion("Where are the toilets?")
    assert p.state.screen == "conversation" and p.state.busy
    assert p.state.turns[-1].question == "Where are the toilets?"
    while post.queue:  # tokens arrive one callback at a time, in order
        post.queue.pop(0)()
        tokens_seen.append(p.state.turns[-1].answer)
    assert tokens_seen[0] == "Toilets are "
    turn = p.state.turns[-1]
    assert turn.answer == "Toilets are on the ground floor." and not turn.streaming
    assert turn.sources == ["Toilets"] and not p.state.busy


def test_talk_opens_the_microphone_shows_level_and_partial_then_answers():
    post = Deferred()
    p, svc, _ = make(post=post)
    post.deliver()
    p.tap_talk()
    assert p.state.mic == "opening" and p.state.talk_label == "Opening microphone…"
    post.queue.pop(0)()  # on_open
    assert p.state.mic == "listening" and "ON" in p.state.status.mic
    post.queue.pop(0)()  # level
    assert p.state.level == 0.5
    post.queue.pop(0)()  # partial
    assert p.state.partial == "where"
    post.deliver()
    assert p.state.mic == "off" and p.state.status.mic == "Microphone off"
    assert p.state.turns[-1].question == "where are the toilets"
    assert p.state.turns[-1].answer.startswith("Toilets")


def test_tap_while_listening_stops_listening():
    stops = []

    class Slow(FakeServices):
        def listen(self, on_open, on_partial, on_level, should_stop):
            stops.append(should_stop)
            return ""

    jobs = []
    svc = Slow()
    p = KioskPresenter(svc, run=jobs.append, post=lambda fn: fn(), clock=ManualClock(), settings=Settings())
    p.tap_talk()
    assert p.state.mic == "opening"
    p.tap_talk()  # second tap = stop
    jobs.pop(0)()
    assert stops[0]() is True
    assert p.state.mic == "off" and "didn't hear" in p.state.message


def test_tap_while_answering_silences_speech():
    jobs = []
    svc = FakeServices()
    p = KioskPresenter(svc, run=jobs.append, post=lambda fn: fn(), clock=ManualClock(), settings=Settings())
    p.tap_suggestion("Where are the toilets?")
    p.tap_talk()
    assert "stop_speaking" in svc.calls and p.state.mic == "off"


def test_missing_microphone_offers_the_keyboard():
    p, svc, _ = make(FakeServices(listen_error=MicUnavailable("mic_unavailable", "no input device")))
    p.tap_talk()
    assert p.state.mic == "unavailable" and p.state.keyboard
    assert "type your question" in p.state.message
    assert p.state.status.mic == "Microphone unavailable"


def test_typed_question_is_normalised_and_empty_text_refused():
    p, svc, _ = make()
    assert p.submit_text("   ") is False and "type a question" in p.state.message
    assert p.submit_text("  where   are\tthe toilets ") is True
    assert svc.calls[-1] == "ask:where are the toilets"


def test_a_refused_question_shows_the_reason_not_a_crash():
    p, _, _ = make(FakeServices(ask_error=InputError("question_too_long", "the question is over 500 characters")))
    p.submit_text("x" * 600)
    turn = p.state.turns[-1]
    assert turn.error == "The question is over 500 characters" and not p.state.busy


def test_escalated_turn_says_so_and_a_cloud_answer_replaces_it():
    p, _, _ = make(FakeServices(escalated=True))
    p.submit_text("Who painted the big mural?")
    assert p.state.turns[-1].notice.startswith("Passed on to staff")
    p.cloud_answer({"question": "Who painted the big mural?", "answer": "Ana Lopes, in 1998."})
    assert p.state.turns[-1].answer == "Ana Lopes, in 1998."
    assert p.state.turns[-1].notice == "Answer from our online assistant."
    p.submit_text("Is there a pool nearby?")
    p.cloud_answer({"question": "Is there a pool nearby?", "answer": "The city baths, 5 minutes north.",
                    "by": "staff"})  # a staff answer collected from the hub
    assert p.state.turns[-1].notice == "Answer from our staff."


def test_idle_countdown_then_wipe_returns_to_attract_and_resets_the_session():
    p, svc, clock = make()
    p.submit_text("where are the toilets")
    p.text_size(+2)
    p.toggle_contrast()
    clock.advance(34)
    p.tick()
    assert p.state.countdown is None
    clock.advance(2)  # 36 s idle: 9 s left
    p.tick()
    assert p.state.countdown == 9
    p.still_here()
    assert p.state.countdown is None
    clock.advance(44)
    p.tick()
    assert p.state.screen == "conversation" and p.state.countdown == 1
    clock.advance(1)
    p.tick()
    st = p.state
    assert st.screen == "attract" and st.turns == [] and st.partial == "" and st.countdown is None
    assert svc.calls[-1] == "reset_session" and "stop_speaking" in svc.calls
    assert st.text_scale == 1.0 and not st.high_contrast  # the next visitor starts from the defaults
    assert p.wipes == 1


def test_no_idle_wipe_while_listening_or_answering():
    jobs = []
    clock = ManualClock()
    p = KioskPresenter(FakeServices(), run=jobs.append, post=lambda fn: fn(), clock=clock,
                       settings=Settings(idle_reset_s=45, countdown_s=10, pin_record=PIN_HASH))
    p.tap_talk()
    clock.advance(100)
    p.tick()
    assert p.state.screen == "conversation" and p.wipes == 0


def test_results_of_a_wiped_session_never_reach_the_next_visitor():
    post = Deferred()
    p, svc, clock = make(post=post)
    post.deliver()
    p.submit_text("where are the toilets")  # the answer is still in flight (not delivered)
    p.wipe()
    post.deliver()
    assert p.state.turns == [] and p.state.screen == "attract" and not p.state.busy


def test_attract_screen_never_counts_down():
    p, _, clock = make()
    clock.advance(1000)
    p.tick()
    assert p.state.countdown is None and p.wipes == 0


def test_staff_screen_needs_the_pin_and_locks_out_after_wrong_attempts():
    p, svc, clock = make()
    p.open_staff()
    assert p.state.screen == "pin"
    for d in "1358":
        p.pin_digit(d)
    assert p.state.pin_digits == 4
    p.pin_submit()
    assert p.state.screen == "pin" and p.state.pin_message == "Wrong PIN. Try again." and p.state.pin_digits == 0
    assert "staff_report" not in svc.calls
    for _ in range(2):
        p.pin_digit("0")
        p.pin_submit()
    assert "locked" in p.state.pin_message
    for d in "1357":
        p.pin_digit(d)
    p.pin_submit()
    assert p.state.screen == "pin" and "Locked" in p.state.pin_message  # even the right PIN, while locked
    clock.advance(61)
    for d in "1357":
        p.pin_digit(d)
    p.pin_submit()
    assert p.state.screen == "staff" and p.state.staff == {"Tier": "full", "Outbox": "0 waiting"}
    p.sync_now()
    assert "sync_now" in svc.calls and p.state.staff_message == "sent 0"
    p.reload_pack()
    assert "reload_pack" in svc.calls
    p.close_staff()
    assert p.state.screen == "attract" and p.state.staff == {}


def test_staff_screen_is_wiped_when_left_open():
    p, _, clock = make()
    p.open_staff()
    for d in "1357":
        p.pin_digit(d)
    p.pin_submit()
    clock.advance(46)
    p.tick()
    assert p.state.screen == "attract" and p.state.staff == {}


def test_pin_keypad_ignores_non_digits_and_caps_length():
    p, _, _ = make()
    p.open_staff()
    for d in "12ab345678901":
        p.pin_digit(d)
    assert p.state.pin_digits == 8


def test_without_a_pin_the_kiosk_asks_for_one_at_start_and_keeps_it():
    from kiosk.domain.pin import matches

    svc = FakeServices()
    p = KioskPresenter(svc, run=lambda job: job(), post=lambda fn: fn(), clock=ManualClock(),
                       settings=Settings(pin_record=""))
    p.start()
    assert p.state.screen == "pin" and p.state.pin_setting and "Choose a staff PIN" in p.state.pin_message

    def enter(pin):
        for d in pin:
            p.pin_digit(d)
        p.pin_submit()

    enter("12")  # too short
    assert "4 to 8 digits" in p.state.pin_message and p.state.screen == "pin"
    enter("5791")
    enter("5790")  # not the same
    assert "differ" in p.state.pin_message and p.state.screen == "pin"
    enter("5791")
    enter("5791")
    assert p.state.screen == "attract" and not p.state.pin_setting
    assert svc.pins == ["5791"] and matches(p.s.pin_record, "5791") and not matches(p.s.pin_record, "2468")
    p.open_staff()
    enter("5791")
    assert p.state.screen == "staff"


def test_a_kiosk_without_a_pin_never_opens_the_staff_screen_by_guessing():
    p, _, _ = make(FakeServices())
    p.s = Settings(pin_record="")
    p.close_staff()
    p.open_staff()  # no PIN: the pad chooses one, it does not check one
    assert p.state.screen == "pin" and p.state.pin_setting


@pytest.mark.parametrize("steps,expected", [(+1, 1.2), (+9, 1.75), (-9, 0.85)])
def test_text_size_steps_and_clamps(steps, expected):
    p, _, _ = make()
    for _ in range(abs(steps)):
        p.text_size(1 if steps > 0 else -1)
    assert p.state.text_scale == expected


def test_status_strip_says_degraded_mode_in_words():
    svc = FakeServices(tier="reduced")
    p, _, _ = make(svc)
    assert p.state.status.degraded and p.state.status.mode == "Saving power"
    assert p.state.status.line() == "Offline  ·  Saving power  ·  Microphone off"


def test_words_heard_before_a_wipe_are_never_answered_for_the_next_visitor():
    jobs = []

    class WipedMidSentence(FakeServices):
        def listen(self, on_open, on_partial, on_level, should_stop):
            p.wipe()  # the idle wipe lands while the end-pointer is still finishing
            return "where are the toilets"

    svc = WipedMidSentence()
    p = KioskPresenter(svc, run=jobs.append, post=lambda fn: fn(), clock=ManualClock(), settings=Settings(pin_record=PIN_HASH))
    p.tap_talk()
    while jobs:
        jobs.pop(0)()
    assert not any(c.startswith("ask:") for c in svc.calls)
    assert p.state.turns == [] and p.state.screen == "attract"


def test_a_typed_question_still_queued_at_the_wipe_is_dropped():
    jobs = []
    svc = FakeServices()
    p = KioskPresenter(svc, run=jobs.append, post=lambda fn: fn(), clock=ManualClock(), settings=Settings())
    p.submit_text("where are the toilets")
    p.wipe()
    while jobs:
        jobs.pop(0)()
    assert not any(c.startswith("ask:") for c in svc.calls) and p.state.turns == []


# -- hands-free: the wake word ------------------------------------------------------------------------------
class Worker:
    """The presenter's one worker, stepped by the test."""

    def __init__(self) -> None:
        self.jobs: list = []

    def __call__(self, job) -> None:
        self.jobs.append(job)

    def step(self) -> None:
        self.jobs.pop(0)()


def hands_free(wake):
    svc = FakeServices(wake_phrase="Okay Nabu", wake=wake)
    worker, clock = Worker(), ManualClock()
    p = KioskPresenter(svc, run=worker, post=lambda fn: fn(), clock=clock,
                       settings=Settings(idle_reset_s=45, countdown_s=10, pin_record=PIN_HASH))
    p.start()
    worker.step()  # load: venue, suggestions, the wake phrase
    return p, svc, worker, clock


def test_hands_free_waits_for_the_wake_word_and_says_so_on_screen():
    p, svc, worker, _ = hands_free(lambda stop: True)
    assert p.state.mic == "waiting" and "Okay Nabu" in p.state.status.mic
    assert "Okay Nabu" in p.state.invitation and "Okay Nabu" in p.state.talk_label
    worker.step()  # the wake word, then the question, then its answer
    assert svc.calls[:2] == ["wait_for_wake", "listen"] and "ask:where are the toilets" in svc.calls
    assert p.state.screen == "conversation" and p.state.turns[-1].answer == "Toilets are on the ground floor."
    assert p.state.mic == "waiting" and len(worker.jobs) == 1  # and it waits for the next one


def test_a_tap_calls_off_the_wait_and_listens_straight_away():
    stops = []
    p, svc, worker, _ = hands_free(lambda stop: stops.append(stop) or not stop())
    p.tap_talk()
    assert p.state.mic == "opening"
    worker.step()  # the wait, called off by the tap: nothing asked, nothing shown
    assert stops and stops[0]() and p.state.message == "" and not p.state.turns
    worker.step()  # the tap's own turn, no wake word
    assert svc.calls == ["wait_for_wake", "listen", "ask:where are the toilets"]
    assert p.state.turns[-1].question == "where are the toilets"


def test_typing_or_a_wipe_calls_off_the_wait_too():
    p, svc, worker, _ = hands_free(lambda stop: not stop())
    assert p.submit_text("Is there a cafe?")
    worker.step()  # the called-off wait
    worker.step()
    assert "ask:Is there a cafe?" in svc.calls and "listen" not in svc.calls
    p.wipe()
    assert p.state.screen == "attract"
    while worker.jobs:
        worker.step()
        if p.state.mic == "waiting":
            break
    assert p.state.mic == "waiting"  # after the wipe, hands-free again


def test_a_wait_that_ends_by_itself_is_retried_after_a_rest_not_in_a_loop():
    p, svc, worker, clock = hands_free(lambda stop: False)  # the audio stops: no wake word, no tap
    worker.step()
    assert p.state.mic == "off" and not worker.jobs
    p.tick()
    assert not worker.jobs
    clock.advance(2.5)
    p.tick()
    assert p.state.mic == "waiting" and len(worker.jobs) == 1


# -- "did you mean ...?" answered by voice --------------------------------------------------------------------
def stepped(**services):
    svc = FakeServices(choices=("Savanna Café", "the picnic lawn"), **services)
    worker = Worker()
    p = KioskPresenter(svc, run=worker, post=lambda fn: fn(), clock=ManualClock(),
                       settings=Settings(idle_reset_s=45, countdown_s=10, pin_record=PIN_HASH))
    p.start()
    worker.step()
    return p, svc, worker


def test_choices_offered_for_a_spoken_question_are_listened_for_and_a_reply_answers():
    p, svc, worker = stepped(spoken_reply=1)
    p.tap_talk()
    worker.step()  # the question, heard and offered choices: the buttons show, the microphone opens again
    assert p.state.turns[-1].choices == ["Savanna Café", "the picnic lawn"] and p.state.mic == "opening"
    worker.step()  # "the picnic lawn"
    turn = p.state.turns[-1]
    assert svc.calls[-2:] == ["reply", "choose:1"] and turn.answer == "the picnic lawn answer."
    assert turn.choices == [] and not turn.streaming and not p.state.busy and p.state.mic == "off"


def test_a_tap_on_a_choice_while_the_reply_is_awaited_decides():
    p, svc, worker = stepped(spoken_reply=1)
    p.tap_talk()
    worker.step()
    p.tap_choice(0)  # the visitor taps before saying anything
    worker.step()  # the listening, called off by the tap: nothing chosen by voice
    worker.step()  # the tap's choice
    assert svc.calls[-2:] == ["reply", "choose:0"] and p.state.turns[-1].answer == "Savanna Café answer."


def test_choices_for_a_typed_question_wait_for_a_tap_only():
    p, svc, worker = stepped(spoken_reply=1)
    p.tap_suggestion("Where can I eat?")
    worker.step()
    assert p.state.turns[-1].choices and p.state.mic == "off" and not worker.jobs and "reply" not in svc.calls
