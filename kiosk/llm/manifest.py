"""The model manifest (``models/manifest.toml``): where each named model's file is, and whether it is intact."""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import MODELS_DIR
from kiosk.transfer import sha256_file  # noqa: F401  (part of this module's API)
from kiosk.errors import ModelError

MANIFEST = MODELS_DIR / "manifest.toml"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    file: str
    sha256: str
    size: int
    license: str
    source: str
    package: str = ""
    chat_format: str = ""

    def candidates(self, models_dir: Path = MODELS_DIR) -> list[Path]:
        paths = [models_dir / self.file]
        if self.package:
            # find_spec without importing: the package's __init__ pulls in a CLI we do not want.
            spec = importlib.util.find_spec(self.package)
            if spec is not None and spec.submodule_search_locations:
                paths.append(Path(list(spec.submodule_search_locations)[0]) / self.file)
        return paths

    def locate(self, models_dir: Path = MODELS_DIR) -> Path | None:
        return next((p for p in self.candidates(models_dir) if p.is_file()), None)


def load_manifest(path: Path = MANIFEST) -> list[ModelSpec]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError("manifest_unreadable", f"model manifest {path} cannot be read: {exc}") from exc
    return [ModelSpec(**m) for m in data.get("model", [])]


def find_spec(name: str, path: Path = MANIFEST) -> ModelSpec:
    for spec in load_manifest(path):
        if spec.name == name:
            return spec
    raise ModelError("unknown_model", f"no model named {name!r} in {path}; configure a GGUF path instead")


def verify(spec: ModelSpec, models_dir: Path = MODELS_DIR, check_hash: bool = True) -> Path:
    """Return the model's path if present and intact, else raise ``ModelError`` saying what is wrong."""
    path = spec.locate(models_dir)
    if path is None:
        where = ", ".join(str(p) for p in spec.candidates(models_dir))
        raise ModelError("model_missing", f"model {spec.name} is not installed (looked in {where}); "
                         f"run packaging/setup.sh or install {spec.source}")
    size = path.stat().st_size
    if size != spec.size:
        raise ModelError("model_corrupt", f"model file {path} has {size} bytes, expected {spec.size}")
    if check_hash:
        digest = sha256_file(path)
        if digest != spec.sha256:
            raise ModelError("model_corrupt", f"model file {path} has sha256 {digest[:16]}..., "
                             f"expected {spec.sha256[:16]}...")
    return path


def resolve_model_path(model: str, models_dir: Path = MODELS_DIR) -> tuple[str, Path]:
    """Config value (manifest name or GGUF path) -> (display name, path); raises ``ModelError`` when absent."""
    if model.endswith(".gguf") or "/" in model:
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelError("model_missing", f"model file {path} does not exist")
        return path.stem, path
    spec = find_spec(model)
    # Size check only at start-up (hashing 100 MB costs ~0.3 s); `kiosk models verify` does the full check.
    return spec.name, verify(spec, models_dir, check_hash=False)


def neural_voice(name: str) -> bool:
    """Whether ``name`` is a Piper voice of the manifest (else eSpeak NG speaks)."""
    try:
        return any(spec.name == name and spec.kind == "voice" for spec in load_manifest())
    except ModelError:
        return False


def locate_voice(name: str) -> Path:
    """The voice's file, present and of the right size (raises ``ModelError``)."""
    return verify(find_spec(name), check_hash=False)
