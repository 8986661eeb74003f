"""The command line, run as a real process against real SQLite files (and the real model where it matters)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from kiosk.config import SAMPLE_PACK

FIELDS = {"question", "answer", "source", "tier", "escalated", "confidence", "ttft_ms", "total_ms",
          "tokens_out", "entry_ids"}


def kiosk(*args, stdin=None, env=None, timeout=300):
    full_env = {**os.environ, **(env or {})}
    p = subprocess.run([sys.executable, "-m", "kiosk", *args], input=stdin, capture_output=True,
                       env=full_env, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def lines(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_by_default_answers_are_the_packs_own_sentences_and_no_model_is_loaded():
    """README, "Choosing the model": the pack's sentences were right more often than either model's phrasing."""
    rc, out, err = kiosk("ask", "What time do you close?", "--json")
    assert rc == 0, err
    (obj,) = lines(out)
    assert "17:30" in obj["answer"] and obj["source"] in ("knowledge", "heuristic") and obj["tokens_out"] == 0
    rc, out, err = kiosk("status", "--json")
    assert rc == 0, err
    model = json.loads(out)["model"]
    assert model["composes"] is False and model["loaded"] is False and model["present"] is True


@pytest.mark.model
def test_ask_json_with_the_real_model():
    rc, out, err = kiosk("ask", "What time do you close?", "--json", env={"KIOSK_TURN_COMPOSE": "1"})
    assert rc == 0, err
    (obj,) = lines(out)
    assert set(obj) == FIELDS
    assert "17:30" in obj["answer"] and obj["source"] in ("knowledge", "llm", "heuristic")
    assert obj["tier"] == "full" and obj["escalated"] is False and 0 <= obj["confidence"] <= 1
    assert obj["entry_ids"] == ["visiting#opening-hours"]


@pytest.mark.model
def test_stdin_batch_answers_each_line_and_reports_bad_ones(isolated_env):
    batch = b"\n".join([
        b"Where are the toilets?",
        b"",
        b"\x00\x01\x02\x89PNG binary",
        b"x" * 100_000,
        b"Is there a swimming pool?",
        "Où est le café ?".encode(),
    ]) + b"\n"
    rc, out, err = kiosk("ask", "--json", stdin=batch)
    objs = lines(out)
    assert len(objs) == 6, (out, err)
    assert "ground floor" in objs[0]["answer"]
    assert [o.get("error", {}).get("code") for o in objs[1:4]] == [
        "empty_question", "binary_input", "question_too_long"]
    assert objs[4]["escalated"] is True
    assert FIELDS <= set(objs[5]) <= FIELDS | {"choices"}  # a question in French may get "did you mean ...?"
    assert rc == 2  # some lines were refused; all the others were answered
    rc, out, _ = kiosk("status", "--json")
    status = json.loads(out)
    assert status["outbox"]["escalations"]["pending"] >= 1
    assert status["outbox"]["meters"]["pending"] == 3  # one meter per answer, none for refused input


def test_a_missing_model_still_answers_from_the_pack(isolated_env):
    env = {"KIOSK_LLM_MODEL": str(isolated_env / "nope.gguf")}
    rc, out, err = kiosk("ask", "--json", "Is there a student discount?", env=env)
    assert rc == 0, err
    obj = lines(out)[0]
    assert obj["tier"] == "minimal" and obj["source"] in {"heuristic", "knowledge"} and "9 euros" in obj["answer"]
    rc, out, _ = kiosk("status", "--json", env=env)
    assert json.loads(out)["model"]["error"]["code"] == "model_missing"


def test_a_corrupt_model_still_answers_from_the_pack(isolated_env, model_path):
    bad = isolated_env / "corrupt.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(4096))
    rc, out, err = kiosk("ask", "--json", "Where can I park?", env={"KIOSK_LLM_MODEL": str(bad)})
    assert rc == 0, err
    obj = lines(out)[0]
    assert obj["tier"] == "minimal" and "Mill Street" in obj["answer"]


def test_an_unreadable_pack_keeps_the_previous_one(isolated_env):
    rc, _, err = kiosk("knowledge", "import", str(SAMPLE_PACK), env={"KIOSK_LLM_ENABLED": "0"})
    assert rc == 0, err
    bad = isolated_env / "bad"
    bad.mkdir()
    (bad / "x.md").write_bytes(b"## Q\n\xff\xfe\x00\x00")
    rc, out, err = kiosk("knowledge", "import", str(bad), "--json")
    assert rc == 4 and json.loads(out)["error"]["code"] == "pack_binary"
    env = {"KIOSK_LLM_ENABLED": "0", "KIOSK_KNOWLEDGE_PACK": str(bad)}
    rc, out, err = kiosk("ask", "--json", "Where are the toilets?", env=env)
    assert rc == 0 and "ground floor" in lines(out)[0]["answer"]
    rc, out, _ = kiosk("status", "--json", env=env)
    assert json.loads(out)["pack"]["title"] == "Harbourlight Maritime Museum"


def test_single_bad_questions_exit_with_code_2():
    env = {"KIOSK_LLM_ENABLED": "0"}
    rc, out, _ = kiosk("ask", "--json", "   ", env=env)
    assert rc == 2 and lines(out)[0]["error"]["code"] == "empty_question"
    rc, _, err = kiosk("ask", "y" * 100_000, env=env)
    assert rc == 2 and "under 500" in err


def test_knowledge_import_and_status(isolated_env):
    pack = isolated_env / "pack"
    shutil.copytree(SAMPLE_PACK, pack)
    (pack / "extra.md").write_text("## Ferry times\nThe ferry leaves at 09:15 from pier 3.\n")
    rc, out, _ = kiosk("knowledge", "import", str(pack), "--json")
    assert rc == 0 and json.loads(out)["entries"] == 24
    rc, out, _ = kiosk("ask", "--json", "When does the ferry leave?",
                       env={"KIOSK_LLM_ENABLED": "0", "KIOSK_KNOWLEDGE_PACK": str(pack)})
    assert "09:15" in lines(out)[0]["answer"]


def test_models_list_and_verify(model_path):
    rc, out, _ = kiosk("models", "list", "--json")
    models = {m["name"]: m for m in json.loads(out)}
    m = models["smollm2-135m-instruct-q4_1"]
    assert rc == 0 and m["installed"] and m["license"] == "Apache-2.0" and m["source"].startswith("pypi:")
    assert models["whisper-tiny.en"]["installed"] and models["whisper-tiny.en"]["kind"] == "stt"
    rc, out, _ = kiosk("models", "verify", "--json")
    assert rc == 0 and json.loads(out)[0]["ok"] is True
    rc, out, _ = kiosk("models", "verify", "no-such-model", "--json")
    assert rc == 1 and json.loads(out)["error"]["code"] == "unknown_model"


def test_config_show_prints_the_effective_config(isolated_env):
    (isolated_env / "config.toml").write_text("[llm]\nn_threads = 1\n")
    rc, out, _ = kiosk("config", "show", env={"KIOSK_LLM_MAX_TOKENS": "33"})
    assert rc == 0 and "n_threads = 1" in out and "max_tokens = 33" in out
    assert f'data_dir = "{isolated_env / "data"}"' in out
    rc, out, _ = kiosk("config", "show", "--docs")
    assert "llm.n_threads" in out
    (isolated_env / "config.toml").write_text("[llm]\nthreads = 1\n")
    rc, _, err = kiosk("config", "show")
    assert rc == 2 and "unknown key" in err


def test_doctor_build_reports_no_amx():
    rc, out, err = kiosk("doctor", "--build", "--json")
    report = json.loads(out)
    assert rc == 0, report
    (check,) = report["checks"]
    assert "AMX" not in check["system_info"] and "AVX2 = 1" in check["system_info"]


def test_pin_set_keeps_a_salted_pin_and_refuses_a_bad_one(tmp_path):
    from kiosk.config import load_config
    from kiosk.domain.pin import matches
    from kiosk.staff_pin import pin_record

    env = {"KIOSK_DATA_DIR": str(tmp_path), "KIOSK_CONFIG": ""}
    rc, out, err = kiosk("status", "--json", env=env)
    assert any(w["code"] == "no_staff_pin" for w in json.loads(out)["warnings"])  # no factory PIN
    rc, out, err = kiosk("pin", "set", stdin=b"12ab\n", env=env)
    assert rc == 2 and "4 to 8 digits" in err and not (tmp_path / "staff_pin").exists()
    rc, out, err = kiosk("pin", "set", stdin=b"4821\n", env=env)
    assert rc == 0, err
    record = pin_record(load_config(None, env=env))
    assert matches(record, "4821") and "4821" not in record
    rc, out, err = kiosk("status", "--json", env=env)
    assert not any(w["code"] == "no_staff_pin" for w in json.loads(out)["warnings"])
