import pytest

from kiosk.errors import ModelError
from kiosk.llm.engine import LlamaEngine
from kiosk.llm.runtime import runtime_copy

pytestmark = pytest.mark.model


def test_conversion_is_cached_and_gives_a_loadable_model(model_path, tmp_path):
    out = runtime_copy(model_path, "q8_0", tmp_path)
    assert out.is_file() and out != model_path and out.stat().st_size > model_path.stat().st_size
    mtime = out.stat().st_mtime_ns
    assert runtime_copy(model_path, "q8_0", tmp_path) == out and out.stat().st_mtime_ns == mtime
    assert runtime_copy(model_path, "", tmp_path) == model_path
    e = LlamaEngine(out, "q8")
    try:
        assert "".join(p.text for p in e.generate("Hello", [], 4)).strip()
    finally:
        e.close()


def test_a_corrupt_source_fails_clearly(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 2048)
    with pytest.raises(ModelError) as exc:
        runtime_copy(bad, "q8_0", tmp_path / "rt")
    assert exc.value.code == "model_convert_failed"
    assert not list((tmp_path / "rt").glob("*"))
    with pytest.raises(ModelError):
        runtime_copy(bad, "q3_weird", tmp_path)
