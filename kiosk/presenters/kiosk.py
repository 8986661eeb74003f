"""The touchscreen's logic in plain Python: screens, the visitor's turns, the idle wipe and the staff PIN.

Every public method runs on the UI thread. Slow work (listening, answering, anything touching the
databases or the model) goes to ``run`` (one worker, so turns never overlap); its results come back through
``post``, which must deliver callbacks on the UI thread in the order they were posted. Results from a session
that has since been wiped are dropped, so one visitor never sees the last one's answer.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from kiosk.domain.events import Retracted, Token, TurnListener
from kiosk.domain.kinds import Route
from kiosk.domain.ports import Clock
from kiosk.errors import KioskError
from kiosk.presenters.services import Services, Settings, visitor_message
from kiosk.presenters.staff import StaffScreen
from kiosk.presenters.state import TEXT_SCALES, TurnView, ViewState

MAX_TURNS_SHOWN = 6
WAKE_RETRY_S = 2.0  # a wait for the wake word that ended by itself is tried again after this


class KioskPresenter(StaffScreen):
    def __init__(self, services: Services, run: Callable[[Callable[[], None]], None],
                 post: Callable[[Callable[[], None]], None], clock: Clock, settings: Settings) -> None:
        self.services = services
        self._worker = run
        self._post = post
        self.clock = clock
        self.s = settings
        self.state = ViewState(text_scale=min(TEXT_SCALES, key=lambda v: abs(v - settings.text_scale)),
                               high_contrast=settings.high_contrast)
        self._listeners: list[Callable[[ViewState], None]] = []
        self._gen = 0  # session generation: bumped by every wipe
        self._stop_listening = threading.Event()
        self._by_voice = False  # the last question was spoken: choices offered for it are listened for too
        self._last_activity = clock.monotonic()
        self._pin = ""
        self._new_pin = ""  # first start: the PIN chosen, waiting for its confirmation
        self._pin_failures = 0
        self._locked_until = 0.0
        self.wipes = 0
        # Hands-free: between turns the microphone waits for the wake word, as one cancellable worker job.
        self._wake_gen = 0
        self._wake_stop: threading.Event | None = None
        self._wake_rest_until = 0.0

    def _run(self, job: Callable[[], None]) -> None:
        """Queue work; a wait for the wake word in progress gives way first (the worker does one thing)."""
        self._cancel_wake()
        self._worker(job)

    # -- plumbing ---------------------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[ViewState], None]) -> None:
        self._listeners.append(listener)
        listener(self.state)

    def _changed(self) -> None:
        self._arm_wake()
        for listener in self._listeners:
            listener(self.state)

    def _later(self, fn: Callable[..., None], gen: int | None = None) -> Callable[..., None]:
        """Wrap a worker-side callback: it runs on the UI thread, and only if the session (``gen``, default:
        the current one) still exists."""
        gen = self._gen if gen is None else gen

        def deliver(*args: Any) -> None:
            def on_ui() -> None:
                if gen == self._gen:
                    fn(*args)
                    self._changed()
            self._post(on_ui)
        return deliver

    def _touch(self) -> None:
        self._last_activity = self.clock.monotonic()
        if self.state.countdown is not None:
            self.state.countdown = None

    # -- start-up ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Load the venue, suggestions and status on the worker, then show the attract screen."""
        def load() -> None:
            venue, chips = self.services.venue(), self.services.suggestions(self.s.suggestions)
            self._later(self._loaded)(venue, chips)
            self._later(self._hands_free)(self.services.hands_free())
        self._run(load)
        if not self.s.pin_record:
            self._ask_for_pin()
        self.refresh_status()

    def _loaded(self, venue: str, chips: list[str]) -> None:
        self.state.venue, self.state.suggestions = venue, chips

    def _hands_free(self, phrase: str) -> None:
        self.state.wake_phrase = phrase

    # -- hands-free: waiting for the wake word ------------------------------------------------------------
    def _arm_wake(self) -> None:
        """With hands-free on and nothing else going on, listen for the wake word (until a tap, a typed
        question, the staff screen or a wipe needs the worker or the microphone)."""
        st = self.state
        if (not st.wake_phrase or self._wake_stop is not None or st.busy or st.mic != "off"
                or st.screen not in ("attract", "conversation") or self.clock.monotonic() < self._wake_rest_until):
            return
        self._wake_gen += 1
        wg, gen = self._wake_gen, self._gen
        self._wake_stop = stop = threading.Event()
        st.mic, st.status.mic = "waiting", f"Microphone on — say “{st.wake_phrase}” to ask"
        woke: list[bool] = []

        def later(fn: Callable[..., None]) -> Callable[..., None]:
            def deliver(*args: Any) -> None:
                def on_ui() -> None:
                    if gen == self._gen and wg == self._wake_gen:
                        fn(*args)
                        self._changed()
                self._post(on_ui)
            return deliver

        partial, level, heard = later(self._partial), later(self._level), later(self._heard)
        woken, ended, failed = later(self._woke), later(self._wake_ended), later(self._mic_failed)

        def on_wake() -> None:
            woke.append(True)
            woken()

        def on_heard(text: str) -> bool:
            if not woke:  # the wait was called off: nobody asked anything
                ended()
                return False
            heard(text)
            return gen == self._gen

        def talk() -> Any:
            try:
                return self.services.talk(lambda: None, partial, level, stop.is_set, on_heard, self._stream(gen),
                                          on_wake=on_wake)
            except KioskError as exc:
                if not woke:
                    failed(exc)
                    return None
                raise

        self._worker(lambda: self._turn_job(talk, gen))

    def _cancel_wake(self) -> None:
        if self._wake_stop is None:
            return
        self._wake_stop.set()
        self._wake_stop = None
        self._wake_gen += 1  # what the called-off wait still reports is dropped
        if self.state.mic == "waiting":
            self.state.mic, self.state.status.mic = "off", "Microphone off"

    def _woke(self) -> None:
        """The wake word: the visitor is asking now."""
        self._touch()
        st = self.state
        st.mic, st.screen, st.partial, st.message = "listening", "conversation", "", ""
        st.status.mic = "Microphone ON — listening"

    def _wake_ended(self) -> None:
        """The wait ended by itself (the audio stopped): try again a little later, not in a tight loop."""
        self._wake_stop = None
        self._wake_rest_until = self.clock.monotonic() + WAKE_RETRY_S
        if self.state.mic == "waiting":
            self._mic_closed()

    # -- visitor: attract and conversation ----------------------------------------------------------------
    def tap_start(self) -> None:
        self._touch()
        if self.state.screen == "attract":
            self.state.screen = "conversation"
        self._changed()

    def tap_suggestion(self, question: str) -> None:
        self._touch()
        self.state.screen = "conversation"
        self._ask(question)

    def toggle_keyboard(self) -> None:
        self._touch()
        self.state.keyboard = not self.state.keyboard
        self._changed()

    def submit_text(self, text: str) -> bool:
        """The type-instead path; returns whether the text was taken (so the field may be cleared)."""
        self._touch()
        question = " ".join(text.split())
        if not question:
            self.state.message = "Please type a question first."
            self._changed()
            return False
        if self.state.busy or self.state.mic not in ("off", "waiting"):
            self.state.message = "One moment — I'm still on your last question."
            self._changed()
            return False
        self._ask(question)
        return True

    def tap_talk(self) -> None:
        self._touch()
        st = self.state
        st.screen = "conversation"
        if st.mic in ("listening", "opening"):
            self._stop_listening.set()  # tap-to-stop: the end-pointer finishes the utterance now
            self._changed()
            return
        if st.busy:
            self.services.stop_speaking()  # tapping while it talks silences it (barge-in by touch)
            self._changed()
            return
        st.mic, st.partial, st.level, st.message = "opening", "", 0.0, ""
        st.status.mic = "Microphone opening"
        self._stop_listening = stop = threading.Event()
        gen = self._gen
        # Bound to this session now: anything that arrives after a wipe is dropped.
        opened, partial, level = self._later(self._mic_open), self._later(self._partial), self._later(self._level)
        heard, failed = self._later(self._heard), self._later(self._mic_failed)
        transcript: list[str] = []

        def on_heard(text: str) -> bool:
            transcript.append(text)
            heard(text)
            return gen == self._gen  # a question from a wiped session is never answered

        def talk() -> Any:
            try:
                return self.services.talk(opened, partial, level, stop.is_set, on_heard, self._stream(gen))
            except KioskError as exc:
                if not transcript:  # it failed while listening
                    failed(exc)
                    return None
                raise

        self._run(lambda: self._turn_job(talk, gen))
        self._changed()

    def _mic_open(self) -> None:
        self.state.mic = "listening"
        self.state.status.mic = "Microphone ON — listening"

    def _partial(self, text: str) -> None:
        self.state.partial = text
        self._last_activity = self.clock.monotonic()

    def _level(self, level: float) -> None:
        self.state.level = max(0.0, min(1.0, level))

    def _mic_closed(self) -> None:
        self.state.mic, self.state.level = "off", 0.0
        self.state.status.mic = "Microphone off"

    def _mic_failed(self, exc: KioskError) -> None:
        self._wake_stop = None
        self._mic_closed()
        self.state.mic = "unavailable"
        self.state.status.mic = "Microphone unavailable"
        self.state.message = visitor_message(exc)
        self.state.keyboard = True  # the typed path is always there
        self._touch()

    def _heard(self, text: str) -> None:
        self._wake_stop = None  # a hands-free turn is over once heard
        self._mic_closed()
        self.state.partial = ""
        self._touch()
        if text:
            self._by_voice = True
            self._start_turn(text)
        else:
            self.state.message = "I didn't hear a question. Tap to talk and try again, or type it."

    def _ask(self, question: str) -> None:
        if self.state.busy:
            return
        self._by_voice = False
        self._start_turn(question)
        gen = self._gen
        self._run(lambda: self._turn_job(lambda: self.services.ask(question, self._stream(gen)), gen))
        self._changed()

    def _start_turn(self, question: str) -> None:
        st = self.state
        st.busy, st.message, st.screen = True, "", "conversation"
        st.turns = (st.turns + [TurnView(question)])[-MAX_TURNS_SHOWN:]

    def _stream(self, gen: int) -> TurnListener:
        """The turn's text as it streams, onto the screen of session ``gen`` only."""
        token, replace = self._later(self._token, gen), self._later(self._replace, gen)

        def on_event(event) -> None:
            if isinstance(event, Token):
                token(event.text)
            elif isinstance(event, Retracted):
                replace(event.text)
        return on_event

    def _turn_job(self, answer: Callable[[], Any], gen: int) -> None:
        """Worker side of one turn: the answer streams, then its sources and any escalation notice. A question
        from a session wiped in the meantime is dropped (never answered into, or recorded for, the next)."""
        if gen != self._gen:
            return
        try:
            ans = answer()
            if ans is None:
                return
            sources = self.services.sources(list(ans.entry_ids))
        except KioskError as exc:
            self._later(self._failed, gen)(exc)
            return
        self._later(self._answered, gen)(ans, sources)

    def _current(self) -> TurnView | None:
        return self.state.turns[-1] if self.state.turns else None

    def _token(self, text: str) -> None:
        turn = self._current()
        if turn is not None and turn.streaming:
            turn.answer += text
        self._last_activity = self.clock.monotonic()

    def _replace(self, text: str) -> None:
        turn = self._current()
        if turn is not None and turn.streaming:
            turn.answer = text

    def _answered(self, ans: Any, sources: list[str]) -> None:
        turn = self._current()
        self.state.busy = False
        self._touch()
        if turn is None:
            return
        turn.answer, turn.sources, turn.streaming = ans.answer, sources, False
        turn.choices = [c.label for c in getattr(ans, "choices", [])]
        turn.more = getattr(ans, "more", "")
        turn.awaiting_reply = ans.escalated
        if ans.escalated:
            turn.notice = ("Passed on to staff: a fuller answer will appear here if it arrives while you are "
                           "here.")
        if turn.choices and self._by_voice and getattr(ans, "source", None) == Route.CLARIFY:
            self._listen_for_reply()

    def _listen_for_reply(self) -> None:
        """A spoken question was offered choices: the kiosk says them and listens for the reply while the
        buttons stay; a tap on one (or on the talk button) ends the listening and decides."""
        st = self.state
        st.mic, st.partial, st.level = "opening", "", 0.0
        st.status.mic = "Microphone opening"
        self._stop_listening = stop = threading.Event()
        gen = self._gen
        opened, partial, level = self._later(self._mic_open), self._later(self._partial), self._later(self._level)
        closed, taken = self._later(self._mic_closed, gen), self._later(self._reply_taken, gen)

        def reply() -> Any:
            try:
                return self.services.reply(opened, partial, level, stop.is_set, taken, self._stream(gen))
            finally:
                closed()

        self._run(lambda: self._turn_job(reply, gen))

    def _reply_taken(self, _reply: Any) -> None:
        """The reply named a choice (or none of them): its answer streams in place of the buttons."""
        turn = self._current()
        self.state.busy, self.state.partial = True, ""
        if turn is not None:
            turn.answer, turn.choices, turn.streaming = "", [], True

    def tap_choice(self, pick: int | None) -> None:
        """A "did you mean ...?" button: a choice's index, or None for "None of these - ask a member of
        staff" (the question is passed on with the choices attached)."""
        turn = self._current()
        if self.state.busy or turn is None or not turn.choices:
            return
        self._touch()
        self._stop_listening.set()  # a spoken reply may be awaited: the tap decides
        if pick is not None and not 0 <= pick < len(turn.choices):
            return
        self.state.busy = True
        turn.answer, turn.choices, turn.streaming = "", [], True
        gen = self._gen
        self._run(lambda: self._turn_job(lambda: self.services.choose(pick, self._stream(gen)), gen))
        self._changed()

    def tap_more(self) -> None:
        """The rest of the answering entry, after the sentences that answer the question."""
        turn = self._current()
        self._touch()
        if turn is not None and turn.more and not turn.streaming:
            turn.answer, turn.more = f"{turn.answer} {turn.more}", ""
            self._changed()

    def _failed(self, exc: KioskError) -> None:
        self.state.busy = False
        self._touch()
        turn = self._current()
        if turn is not None:
            turn.streaming, turn.error = False, visitor_message(exc)

    def cloud_answer(self, item: dict) -> None:
        """A cloud answer for an escalated question of this session (called on the UI thread)."""
        waiting = [t for t in self.state.turns if t.awaiting_reply]
        asked = " ".join(str(item.get("question", "")).split()).lower()
        # The outbox holds the redacted question, so an exact match may fail: then the latest waiting turn.
        turn = next((t for t in reversed(waiting) if t.question.lower() == asked), waiting[-1] if waiting else None)
        if turn is not None and item.get("answer"):
            turn.answer = str(item["answer"])
            by_staff = item.get("by") == "staff"
            turn.notice = "Answer from our staff." if by_staff else "Answer from our online assistant."
            turn.sources = []
            turn.awaiting_reply = False
            self._changed()

    # -- accessibility ----------------------------------------------------------------------------------
    def text_size(self, step: int) -> None:
        self._touch()
        i = min(range(len(TEXT_SCALES)), key=lambda k: abs(TEXT_SCALES[k] - self.state.text_scale))
        self.state.text_scale = TEXT_SCALES[max(0, min(len(TEXT_SCALES) - 1, i + step))]
        self._changed()

    def toggle_contrast(self) -> None:
        self._touch()
        self.state.high_contrast = not self.state.high_contrast
        self._changed()

    # -- privacy: idle countdown and wipe ----------------------------------------------------------------
    def still_here(self) -> None:
        self._touch()
        self._changed()

    def tick(self) -> None:
        """Called about every quarter second by the UI clock."""
        st = self.state
        if st.wake_phrase and self._wake_stop is None and st.mic == "off":
            self._changed()  # hands-free: the wait for the wake word resumes after a rest
        if st.screen == "attract":
            return
        if st.busy or st.mic in ("listening", "opening"):  # the visitor is mid-turn: not idle
            self._last_activity = self.clock.monotonic()
            return
        idle = self.clock.monotonic() - self._last_activity
        if idle >= self.s.idle_reset_s:
            self.wipe()
            return
        left = self.s.idle_reset_s - idle
        countdown = int(left + 0.999) if left <= self.s.countdown_s else None
        if countdown != st.countdown:
            st.countdown = countdown
            self._changed()

    def wipe(self) -> None:
        """End the visitor's session: transcript, audio, conversation state; back to the attract screen."""
        self._gen += 1
        self._stop_listening.set()
        self._cancel_wake()
        self.services.stop_speaking()
        st = self.state
        st.turns, st.partial, st.level, st.message, st.countdown = [], "", 0.0, "", None
        st.busy, st.keyboard, st.mic, st.screen = False, False, "off", "attract"
        st.status.mic = "Microphone off"
        st.pin_digits, st.pin_message, st.staff, st.staff_message = 0, "", {}, ""
        st.text_scale, st.high_contrast = self.state_defaults()
        self._pin = ""
        if not self.s.pin_record:
            self._ask_for_pin()
        self.wipes += 1
        self._run(self.services.reset_session)
        self._changed()

    def state_defaults(self) -> tuple[float, bool]:
        return min(TEXT_SCALES, key=lambda v: abs(v - self.s.text_scale)), self.s.high_contrast

    # -- status strip --------------------------------------------------------------------------------------
    def refresh_status(self) -> None:
        """Cheap reads only (no database): safe from the UI thread."""
        info = self.services.status()
        sv = self.state.status
        sv.network = info.get("network", sv.network)
        sv.mode = info.get("mode", sv.mode)
        sv.degraded = bool(info.get("degraded", False))
        self._changed()
