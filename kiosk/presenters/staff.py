"""The staff side of the touchscreen presenter: the PIN screen (choosing one on first start, entering it,
lock-out after wrong ones) and the staff screen's actions. Mixed into ``KioskPresenter``, whose state,
clock, services and worker it uses; every public method runs on the UI thread."""

from __future__ import annotations

import dataclasses
from typing import Callable

from kiosk.domain.pin import matches as pin_matches
from kiosk.domain.pin import valid as valid_pin
from kiosk.errors import KioskError

MAX_PIN_DIGITS = 8


class StaffScreen:
    # -- staff -------------------------------------------------------------------------------------------
    def open_staff(self) -> None:
        self._touch()
        if not self.s.pin_record:  # no PIN yet: choosing one is the way in
            self._ask_for_pin()
            self._changed()
            return
        self._pin = ""
        self.state.screen, self.state.pin_digits = "pin", 0
        self.state.pin_message = "Staff only: enter the PIN."
        self._changed()

    def pin_digit(self, digit: str) -> None:
        self._touch()
        if digit.isdigit() and len(digit) == 1 and len(self._pin) < MAX_PIN_DIGITS:
            self._pin += digit
        self.state.pin_digits = len(self._pin)
        self._changed()

    def pin_clear(self) -> None:
        self._touch()
        self._pin, self.state.pin_digits = "", 0
        self._changed()

    def pin_submit(self) -> None:
        self._touch()
        now = self.clock.monotonic()
        st = self.state
        if now < self._locked_until:
            st.pin_message = f"Locked after too many wrong PINs. Try again in {int(self._locked_until - now) + 1} s."
        elif self.state.pin_setting:
            self._set_pin_step()
            return
        elif pin_matches(self.s.pin_record, self._pin):
            self._pin_failures, st.screen, st.pin_message = 0, "staff", ""
            self.refresh_staff()
        else:
            self._pin_failures += 1
            if self._pin_failures >= self.s.pin_attempts:
                self._locked_until, self._pin_failures = now + self.s.pin_lockout_s, 0
                st.pin_message = f"Too many wrong PINs: locked for {int(self.s.pin_lockout_s)} s."
            else:
                st.pin_message = "Wrong PIN. Try again."
        self._pin, st.pin_digits = "", 0
        self._changed()

    # -- first start: no staff PIN yet ----------------------------------------------------------------------
    def _ask_for_pin(self) -> None:
        st = self.state
        st.screen, st.pin_setting, st.pin_digits, self._pin, self._new_pin = "pin", True, 0, "", ""
        st.pin_message = "Welcome. Choose a staff PIN (4 to 8 digits) for the staff screen, then OK."

    def _set_pin_step(self) -> None:
        st = self.state
        pin, self._pin, st.pin_digits = self._pin, "", 0
        if not self._new_pin:
            if not valid_pin(pin):
                st.pin_message = "A staff PIN is 4 to 8 digits. Choose one, then OK."
            else:
                self._new_pin, st.pin_message = pin, "Enter the same PIN again to confirm, then OK."
        elif pin != self._new_pin:
            self._new_pin, st.pin_message = "", "The two PINs differ. Choose a staff PIN (4 to 8 digits)."
        else:
            self._new_pin = ""
            self.s = dataclasses.replace(self.s, pin_record=self.services.set_pin(pin))
            st.pin_setting, st.screen, st.pin_message = False, "attract", ""
        self._changed()

    def close_staff(self) -> None:
        self._touch()
        self.state.screen, self.state.staff, self.state.staff_message = "attract", {}, ""
        self.state.pin_setting, self._new_pin = False, ""
        self._changed()

    def refresh_staff(self) -> None:
        if self.state.screen != "staff":
            return
        self._run(lambda: self._later(self._staff_loaded)(self.services.staff_report()))

    def _staff_loaded(self, report: dict) -> None:
        if self.state.screen == "staff":
            self.state.staff = report

    def sync_now(self) -> None:
        self._staff_action(self.services.sync_now, "Syncing…")

    def reload_pack(self) -> None:
        self._staff_action(self.services.reload_pack, "Reloading the knowledge pack…")

    def _staff_action(self, action: Callable[[], str], pending: str) -> None:
        self._touch()
        if self.state.screen != "staff":
            return
        self.state.staff_message = pending

        def job() -> None:
            try:
                msg = action()
            except KioskError as exc:
                msg = f"{exc.code}: {exc.message}"
            self._later(self._staff_done)(msg)
            self._later(self._staff_loaded)(self.services.staff_report())
            self._later(self._loaded)(self.services.venue(), self.services.suggestions(self.s.suggestions))
        self._run(job)
        self._changed()

    def _staff_done(self, msg: str) -> None:
        self.state.staff_message = msg
