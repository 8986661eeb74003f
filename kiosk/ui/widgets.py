"""Kivy widgets: they render ``ViewState`` and forward touches to the presenter. No decisions here."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.utils import escape_markup

from kiosk.presenters.state import TurnView, ViewState

Builder.load_file(str(Path(__file__).with_name("kiosk.kv")))

STREAM_REDRAW_S = 0.1

THEMES = {
    False: dict(bg=[0.97, 0.96, 0.93, 1], fg=[0.08, 0.08, 0.1, 1], panel=[0.86, 0.86, 0.84, 1],
                accent=[0.05, 0.3, 0.58, 1], accent_fg=[1, 1, 1, 1], button=[0.25, 0.27, 0.32, 1],
                button_fg=[1, 1, 1, 1], muted=[0.3, 0.3, 0.34, 1], warn=[0.72, 0.08, 0.08, 1],
                warn_fg=[1, 1, 1, 1]),
    True: dict(bg=[0, 0, 0, 1], fg=[1, 1, 1, 1], panel=[0.12, 0.12, 0.12, 1], accent=[1, 0.9, 0, 1],
               accent_fg=[0, 0, 0, 1], button=[1, 1, 1, 1], button_fg=[0, 0, 0, 1], muted=[0.88, 0.88, 0.88, 1],
               warn=[1, 0.9, 0, 1], warn_fg=[0, 0, 0, 1]),
}


def turn_parts(turn: TurnView) -> tuple[str, str, str]:
    """(question as markup, answer as plain text, sources and notices as markup). The answer is the part that
    changes with every token, so it is a plain label: Kivy lays out markup in Python, which is slow."""
    e = escape_markup
    if turn.error:
        answer = f"Sorry: {turn.error}"
    elif turn.answer or not turn.streaming:
        answer = turn.answer + (" …" if turn.streaming else "")
    else:
        answer = "Thinking …"
    meta = []
    if turn.sources:
        meta.append(f"[i]From the visitor guide: {e(', '.join(turn.sources))}[/i]")
    if turn.notice:
        meta.append(f"[b]Note:[/b] {e(turn.notice)}")
    return f"[b]You asked:[/b] {e(turn.question)}", answer, "\n".join(meta)


NONE_OF_THESE = "None of these - ask a member of staff"


def turn_buttons(turn: TurnView) -> list[tuple[str, int | None | str]]:
    """The buttons under an answer: "did you mean ...?" choices (and none of these), or "More"."""
    if turn.streaming or turn.error:
        return []
    if turn.choices:
        return [(label, i) for i, label in enumerate(turn.choices)] + [(NONE_OF_THESE, None)]
    return [("More about this", "more")] if turn.more else []


class TurnBox(BoxLayout):
    """One question and answer on the conversation screen, with its choice buttons when it asks
    "did you mean ...?"."""

    def __init__(self, question: str, presenter=None, **kw) -> None:
        from kivy.factory import Factory

        super().__init__(orientation="vertical", size_hint_y=None, spacing=dp(6), **kw)
        self.question = question
        self.presenter = presenter
        self.bind(minimum_height=self.setter("height"))
        self.parts = [Factory.KLabel(), Factory.KLabel(markup=False), Factory.KLabel()]
        for label in self.parts:
            self.add_widget(label)
        self.buttons = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(8))
        self.buttons.bind(minimum_height=self.buttons.setter("height"))
        self.add_widget(self.buttons)
        self._shown_buttons: list = []

    @property
    def text(self) -> str:
        return "\n".join(label.text for label in self.parts if label.text)

    def _press(self, action) -> None:
        if self.presenter is None:
            return
        if action == "more":
            self.presenter.tap_more()
        else:
            self.presenter.tap_choice(action)

    def show(self, turn: TurnView, scale: float, color) -> bool:
        from kivy.factory import Factory

        changed = False
        for label, text in zip(self.parts, turn_parts(turn)):
            label.scale, label.color = scale, color
            if label.text != text:
                label.text, changed = text, True
        wanted = turn_buttons(turn)
        if wanted != self._shown_buttons:
            self.buttons.clear_widgets()
            for text, action in wanted:
                b = Factory.KButton(text=text, min_height=dp(64), scale=scale)
                b.bind(on_release=lambda _b, a=action: self._press(a))
                self.buttons.add_widget(b)
            self._shown_buttons, changed = wanted, True
        return changed


class KioskRoot(BoxLayout):
    p = ObjectProperty(None, allownone=True)  # the presenter
    s = NumericProperty(1.0)  # text scale
    bg = ListProperty(THEMES[False]["bg"])
    fg = ListProperty(THEMES[False]["fg"])
    panel = ListProperty(THEMES[False]["panel"])
    accent = ListProperty(THEMES[False]["accent"])
    accent_fg = ListProperty(THEMES[False]["accent_fg"])
    button = ListProperty(THEMES[False]["button"])
    button_fg = ListProperty(THEMES[False]["button_fg"])
    muted = ListProperty(THEMES[False]["muted"])
    warn = ListProperty(THEMES[False]["warn"])
    warn_fg = ListProperty(THEMES[False]["warn_fg"])
    mic_open = BooleanProperty(False)
    listening = BooleanProperty(False)
    typing = BooleanProperty(False)
    countdown_shown = BooleanProperty(False)

    def __init__(self, presenter, **kw) -> None:
        super().__init__(**kw)
        self.p = presenter
        self._chips: list[str] | None = None
        self._turn_labels: list = []
        self._build_keypad()
        # Rows that come and go are taken out of the tree when hidden, so they can never catch a touch.
        # ``ids`` are weak proxies: keep the rows themselves alive while they are out of the tree.
        self._slots = {name: (self.ids[name].__self__, self.ids[name].parent,
                              self.ids[name].parent.children.index(self.ids[name]))
                       for name in ("countdown_bar", "level_row", "keyboard_row")}
        from kivy.clock import Clock

        self._state: ViewState | None = None
        self._render_soon = Clock.create_trigger(lambda _dt: self.render_now(), 0)
        # While tokens stream, redraw the answer a few times a second rather than every frame: each
        # text re-layout competes with the model for the CPU (and the GIL) on a small kiosk.
        self._render_streaming = Clock.create_trigger(lambda _dt: self.render_now(), STREAM_REDRAW_S)
        self.renders = 0
        presenter.subscribe(self.render)

    # -- forwarding ---------------------------------------------------------------------------------------
    def submit_typed(self) -> None:
        if self.p.submit_text(self.ids.typed.text):
            self.ids.typed.text = ""

    def _build_keypad(self) -> None:
        from kivy.factory import Factory

        for key in "123456789 0 ":
            if key == " ":
                self.ids.keypad.add_widget(Factory.Widget(size_hint_y=None, height=dp(64)))
                continue
            b = Factory.KButton(text=key, min_height=dp(64))
            b.bind(on_release=lambda _b, k=key: self.p.pin_digit(k))
            self.ids.keypad.add_widget(b)

    # -- rendering ----------------------------------------------------------------------------------------
    def _show(self, name: str, visible: bool) -> None:
        widget, parent, index = self._slots[name]
        if visible and widget.parent is None:
            parent.add_widget(widget, index=min(index, len(parent.children)))
        elif not visible and widget.parent is not None:
            parent.remove_widget(widget)

    def render(self, st: ViewState) -> None:
        """Presenter changes (many per frame while tokens stream) are drawn once per frame."""
        self._state = st
        if st.busy and st.turns and st.turns[-1].answer:
            self._render_streaming()
        else:
            self._render_soon()

    def render_now(self) -> None:
        st = self._state
        if st is None:
            return
        self.renders += 1
        theme = THEMES[st.high_contrast]
        for name, value in theme.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
        self.s = st.text_scale
        ids = self.ids
        for b in self._buttons():
            b.scale, b.bg, b.fg = self.s, self.button, self.button_fg
        sv = st.status
        ids.network.text = f"Network: {sv.network}"
        ids.mode.text = f"Mode: {sv.mode}"
        self.mic_open = st.mic in ("listening", "opening")
        ids.mic.text = "MIC ON\nlistening" if st.mic == "listening" else (
            "MIC opening" if st.mic == "opening" else sv.mic)
        self.countdown_shown = st.countdown is not None
        self._show("countdown_bar", self.countdown_shown)
        ids.countdown.text = ("" if st.countdown is None else
                              f"Still there? For your privacy this conversation clears in {st.countdown} s.")
        if ids.screens.current != st.screen:
            ids.screens.current = st.screen
        ids.venue.text = escape_markup(st.venue or "Welcome")
        if st.suggestions != self._chips:
            self._chips = list(st.suggestions)
            self._render_chips()
        self._render_turns(st.turns)
        ids.message.text = escape_markup(st.message)
        ids.partial.text = f"Hearing: {escape_markup(st.partial)}" if st.partial else ""
        self.listening = st.mic == "listening"
        self._show("level_row", self.listening)
        ids.level.value = st.level
        self.typing = st.keyboard
        if self.typing != (self.ids.keyboard_row.parent is not None):
            self._to_latest()
        self._show("keyboard_row", self.typing)
        ids.talk.text = st.talk_label
        ids.invitation.text = escape_markup(st.invitation)
        ids.pin_message.text = escape_markup(st.pin_message)
        ids.pin_dots.text = " ".join("*" * st.pin_digits) or "-"
        ids.staff_report.text = "\n".join(f"[b]{escape_markup(k)}:[/b] {escape_markup(str(v))}"
                                          for k, v in st.staff.items()) or "Loading…"
        ids.staff_message.text = escape_markup(st.staff_message)

    def _buttons(self):
        return [*self.ids.chips.children, *self.ids.keypad.children]

    def _render_chips(self) -> None:
        from kivy.factory import Factory

        self.ids.chips.clear_widgets()
        for question in self._chips or []:
            b = Factory.KButton(text=question, scale=self.s, bg=self.button, fg=self.button_fg, min_height=dp(72))
            b.bind(on_release=lambda _b, q=question: self.p.tap_suggestion(q))
            self.ids.chips.add_widget(b)

    def _render_turns(self, turns: list[TurnView]) -> None:
        box = self.ids.turns
        if len(self._turn_labels) != len(turns) or (turns and self._turn_labels[0].question != turns[0].question):
            box.clear_widgets()
            self._turn_labels = []
            for t in turns:
                self._turn_labels.append(TurnBox(t.question, self.p))
                box.add_widget(self._turn_labels[-1])
        changed = False
        for turn_box, t in zip(self._turn_labels, turns):
            changed = turn_box.show(t, self.s, self.fg) or changed
        if changed:
            self._to_latest()

    def _to_latest(self) -> None:
        """Show the newest answer: after the layout has settled (next frame), not before."""
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: setattr(self.ids.scroller, "scroll_y", 0), 0.05)
