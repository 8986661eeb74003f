"""The one loaded language model: loaded, freed and reloaded on the runtime's word, never under a turn.

The governor decides the tier; the slot obeys it. A turn holds ``lock`` while it runs, so the model is not
freed or swapped under it.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Callable

from kiosk.domain.kinds import Tier
from kiosk.domain.ports import LanguageModel
from kiosk.errors import ModelError

log = logging.getLogger("kiosk")


class EngineSlot:
    def __init__(self, load: Callable[[], LanguageModel], on_error: Callable[[ModelError], None]) -> None:
        """``load`` builds the engine (the composition root chooses it); ``on_error`` hears why it failed."""
        self._load, self._on_error = load, on_error
        self.lock = threading.RLock()
        self.engine: LanguageModel | None = None

    def current(self) -> LanguageModel | None:
        return self.engine

    def apply(self, tier: Tier) -> bool:
        """Have the model loaded exactly when ``tier`` uses one. False: it was wanted but would not load."""
        with self.lock:
            if not tier.uses_model:
                self.unload()
                return True
            if self.engine is None:
                try:
                    self.engine = self._load()
                except ModelError as exc:
                    log.warning("model not loaded: %s", exc.message)
                    self._on_error(exc)
                    return False
            return True

    def unload(self) -> None:
        with self.lock:
            engine, self.engine = self.engine, None
            if engine is not None:
                engine.close()
                del engine
                gc.collect()  # llama.cpp frees the weights and KV cache when the Llama object goes

    def reload(self) -> bool:
        """Drop the loaded model (its cached prefixes hold the old pack) and load it again, if one was loaded."""
        with self.lock:
            if self.engine is None:
                return True
            self.unload()
            return self.apply(Tier.FULL)

    def close(self) -> None:
        self.unload()
