"""The recogniser knows the venue's words: the active pack's names, spelt its way, are Whisper's prompt, the
names Whisper cannot spell unaided first, and they follow the pack when it changes. How often a name then
comes back spelt the pack's way is a figure, not a pass/fail (tests/benchmarks/pack_names.py): on a loaded
machine "Bluewren" came back as "Bluren" once."""

import shutil

import numpy as np

from kiosk.config import REPO_ROOT
from kiosk.speech.audio import RATE, read_wav
from speech_helpers import say_naturally

VENUES = REPO_ROOT / "models" / "judge" / "venues"


def test_the_prompt_follows_the_active_pack(tmp_path):
    from kiosk.app import Kiosk
    from kiosk.config import load_config

    pack = tmp_path / "pack"
    shutil.copytree(VENUES / "t2-ferry-islands" / "pack", pack)
    cfg = load_config(None, env={"KIOSK_DATA_DIR": str(tmp_path / "d"), "KIOSK_CONFIG": "",
                                 "KIOSK_KNOWLEDGE_PACK": str(pack)})
    kiosk = Kiosk(cfg, load_model=False)
    try:
        whisper = kiosk.speech().recognizers()[0]
        assert "Colasay" in whisper.prompt and "Inchmurran" in whisper.prompt
        shutil.rmtree(pack)
        shutil.copytree(VENUES / "t2-regional-airport" / "pack", pack)
        kiosk.reload_pack()
        assert "Bluewren" in whisper.prompt and "Colasay" not in whisper.prompt
        audio = read_wav(say_naturally("When does Bluewren check-in close?", tmp_path / "q.wav"), 60).samples
        heard = whisper.transcribe(np.concatenate([np.zeros(RATE // 4, np.float32), audio]))
        assert "check" in heard.lower(), heard  # transcribed with the new prompt
        print(f"\nheard: {heard!r} (the pack spells it 'Bluewren')")
    finally:
        kiosk.close()
