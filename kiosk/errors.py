"""One error hierarchy for the kiosk. Adapters translate foreign exceptions into these (``raise ... from``);
``kiosk.cli`` is the one place that turns them into messages and exit codes."""

from __future__ import annotations


class KioskError(Exception):
    """A failure with a stable machine-readable ``code`` and a message a person can act on."""

    exit_code = 1

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InputError(KioskError):
    """The visitor's or operator's input cannot be used as given (empty, too long, binary...)."""

    exit_code = 2


class ConfigError(KioskError):
    """The configuration file or an override is invalid."""

    exit_code = 2


class ModelError(KioskError):
    """A model file is missing, corrupt, or failed to load or run."""

    exit_code = 3


class SpeechUnavailable(ModelError):
    """The speech recogniser is missing or would not load: visitors type instead."""


class KnowledgeError(KioskError):
    """A knowledge pack cannot be read or indexed."""

    exit_code = 4


class StorageError(KioskError):
    """The local database cannot be opened or written (full disk, corruption, permissions)."""

    exit_code = 5


class BundleError(KioskError):
    """A bundle was refused or could not be installed; the installed version is unchanged."""

    exit_code = 7


class AudioDeviceError(KioskError):
    """No usable microphone or speaker: a state for the UI (type instead, read instead), not a crash."""

    exit_code = 6


class MicUnavailable(AudioDeviceError):
    """No microphone, a busy one, or one that disappeared."""


class NoOutputDevice(AudioDeviceError):
    """Nothing to play speech on."""
