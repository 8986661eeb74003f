"""Settings: frozen dataclasses over documented defaults, read from a TOML file and ``KIOSK_*`` overrides.

Precedence (lowest first): defaults, the TOML file (``--config``, else ``$KIOSK_CONFIG``, else
``<user config dir>/kiosk/config.toml`` when it exists), environment ``KIOSK_<SECTION>_<KEY>`` (e.g.
``KIOSK_LLM_N_THREADS=1``), and ``$KIOSK_DATA_DIR`` for the data directory.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from kiosk.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"
MODELS_DIR = REPO_ROOT / "models"
SAMPLE_PACK = ASSETS_DIR / "packs" / "harbourlight"


def doc(text: str, default: Any = dataclasses.MISSING, **kw: Any) -> Any:
    """A dataclass field carrying its documentation (shown by ``kiosk config show --docs``)."""
    return field(default=default, metadata={"doc": text}, **kw)


@dataclass(frozen=True)
class DeviceConfig:
    id: str = doc("Device id used as the source of synced events; empty = derived from /etc/machine-id.", "")
    venue: str = doc("Venue name shown to visitors; empty = the knowledge pack's title.", "")


@dataclass(frozen=True)
class LLMConfig:
    model: str = doc("A model name from models/manifest.toml, or a path to any GGUF file.",
                     "smollm2-135m-instruct-q4_1")
    n_threads: int = doc("CPU threads for llama.cpp (2 is best on a 2-core kiosk).", 2)
    n_ctx: int = doc("Context window in tokens; the pack is kept in the prefix only if it fits.", 4096)
    n_batch: int = doc("Prompt-evaluation batch size.", 512)
    max_tokens: int = doc("Upper bound on generated tokens per answer.", 80)
    temperature: float = doc("Sampling temperature; 0 = greedy (repeatable, least inventive).", 0.0)
    prefix_mode: str = doc("Cached prompt prefix: 'entry' = instructions + the chosen entry, one KV snapshot "
                           "per entry (fast, short context); 'pack' = the whole pack when it fits n_ctx.",
                           "entry")
    prefix_cache_mb: int = doc("Memory budget for the per-entry KV snapshots (least recently used dropped).",
                               256)
    runtime_format: str = doc("Weight format the model is converted to once for faster prompt evaluation "
                              "('q8_0', 'q4_0', 'f16'); empty = use the file as shipped.", "q8_0")
    enabled: bool = doc("Load the local LLM at all; false = heuristic answers from the pack only.", True)

    @property
    def model_is_path(self) -> bool:
        return self.model.endswith(".gguf") or os.sep in self.model


@dataclass(frozen=True)
class KnowledgeConfig:
    pack: str = doc("Directory of the knowledge pack, re-imported at start when it changed; empty = none.",
                    str(SAMPLE_PACK))
    top_k: int = doc("How many entries retrieval returns for routing and grounding.", 3)
    embeddings: bool = doc("Also retrieve by meaning with the sentence-embedding model (minilm-l6-v2-int8); "
                           "false = words only.", True)


@dataclass(frozen=True)
class TurnConfig:
    max_question_chars: int = doc("Longer questions are refused with a clear message.", 500)
    direct_threshold: float = doc("Retrieval confidence at or above which the entry itself is the answer.",
                                  0.75)
    escalate_threshold: float = doc("Lexical coverage below which the question is passed on, when retrieval "
                                    "is by words only (no embedding model).", 0.38)
    answer_threshold: float = doc("Probability that the pack answers the question (combined retrieval "
                                  "signals) below which it is passed on; higher = more questions passed on; "
                                  "0 = the threshold chosen by cross-validation over venues.", 0.0)
    direct_margin: float = doc("How far the best entry must lead the second for a direct answer.", 0.12)
    dense_weight: float = doc("Share of dense (embedding) similarity in the score that ranks entries; the "
                              "rest is lexical coverage (which alone decides whether to answer).", 0.7)
    sim_low: float = doc("Embedding cosine similarity that counts as no evidence at all.", 0.3)
    sim_high: float = doc("Embedding cosine similarity that counts as full evidence.", 0.7)
    compose: bool = doc("Let the local model phrase answers from the retrieved entries; false = answer with "
                        "the pack's own sentences and load no model (more often right on the eval packs: "
                        "README, 'Choosing the model').", False)
    grounding_check: bool = doc("Reject LLM answers with numbers or names absent from the retrieved text.",
                                True)
    generation_budget_s: float = doc("Watchdog: a generation running longer is stopped and the turn is "
                                     "answered from the pack.", 4.0)
    breaker_failures: int = doc("Model failures or timeouts in a row that open the circuit breaker.", 3)
    breaker_cooldown_s: float = doc("How long the open breaker keeps the model out of turns.", 30.0)
    judge: bool = doc("Decide with the trained answer judge (a cross-encoder reading the question with each "
                      "candidate entry; models/judge/README.md): answer, offer 'did you mean ...?' choices, or "
                      "pass on; questions about nothing at the venue are declined and named identifiers outrank "
                      "meaning. On venues nobody tuned for it states far fewer wrong answers than the signals "
                      "model, and offers choices where that one guessed (README, 'Judgement on venues nobody "
                      "tuned for'); false, or the judge model missing: the signals model decides.",
                      True)
    judge_answer_at: float = doc("The combined score (judge 0.7, retrieval 0.3) at or above which the best "
                                 "entry answers, when clearly ahead of the next; higher = more 'did you mean' "
                                 "(0 = the value chosen on held-out venues).", 0.0)
    judge_offer_at: float = doc("The judge's probability below which, for every candidate, a question the kiosk "
                                "does not answer is passed on; at or above it the likeliest entries are offered "
                                "as 'did you mean ...?' choices (0 = the value chosen on held-out venues).", 0.0)
    emergency_number: str = doc("The emergency telephone number the kiosk gives when the pack has no safety "
                                "entry for an emergency (999 in the UK, 911 in North America, 112 in the EU).",
                                "112")


@dataclass(frozen=True)
class SpeechConfig:
    engine: str = doc("Streaming recogniser: 'auto' (Vosk when a Vosk model is set, else Whisper), "
                      "'vosk' or 'whisper'.", "auto")
    vosk_model: str = doc("An installed Vosk model's name (kiosk models install vosk) or a model directory.",
                          "")
    final_pass: bool = doc("Re-transcribe each utterance with the bundled Whisper model for an accurate final "
                           "transcript (English).", True)
    language: str = doc("Language code for Whisper.", "en")
    beam_size: int = doc("Beams for Whisper's final transcript (partials are greedy). On real read speech "
                         "5 beams made a third fewer word errors than 1, and half as many in crowd babble, "
                         "for little more time (kiosk bench, read_speech).", 5)
    threads: int = doc("CPU threads for speech recognition.", 2)
    partial_every_s: float = doc("How often Whisper re-decodes the growing utterance for a partial result.",
                                 1.0)
    max_audio_s: float = doc("Longest audio file accepted as one question, in seconds.", 60.0)
    device: str = doc("Input device name or index for sounddevice; empty = the system default.", "")
    vad: str = doc("What tells speech from silence and noise when listening: 'silero' (Silero VAD, a neural "
                   "detector that ships with faster-whisper) or 'energy' (a level above the noise floor; also "
                   "the fallback when Silero cannot load).", "silero")
    wake_word: str = doc("Hands-free: listen for this wake word before each question ('okay_nabu', "
                         "'hey_jarvis' or 'hey_mycroft'); empty = off, the visitor taps to talk.", "")
    echo_cancel: str = doc("'auto': when the sound server has the kiosk's echo canceller (kiosk_ec_src / "
                           "kiosk_ec_sink, loaded by packaging/kiosk-session), listen and speak through it, so "
                           "visitors can talk over the kiosk; 'off': never.", "auto")
    end_silence_s: float = doc("Silence that ends an utterance.", 0.6)
    complete_silence_s: float = doc("A shorter silence that ends it when the words so far are a whole "
                                    "sentence (the final transcript, made speculatively, ends in . ? or !); "
                                    "0 = always wait end_silence_s.", 0.0)
    end_of_turn: str = doc("What decides that the visitor has finished: 'model' (after a short silence the "
                           "Smart Turn end-of-turn model and the words so far decide; 'still talking' waits "
                           "up to hesitation_s) or 'silence' (end_silence_s of silence). 'model' falls back to "
                           "'silence' when the model is missing or the governor steps down.", "silence")
    turn_threshold: float = doc("P(finished) from the end-of-turn model at or above which the turn ends.", 0.5)
    hesitation_s: float = doc("With end_of_turn = 'model': the silence that ends an utterance the model "
                              "called unfinished.", 1.2)
    max_utterance_s: float = doc("Longest utterance before it is cut off.", 15.0)
    no_speech_timeout_s: float = doc("Give up listening when nobody speaks for this long.", 8.0)


@dataclass(frozen=True)
class ResourcesConfig:
    probe_interval_s: float = doc("How often resources are probed.", 5.0)
    emulate: str = doc("Simulated readings: a JSON file path or inline JSON (also $KIOSK_RESOURCES_EMULATE); "
                       "status then says 'simulated'.", "")
    mem_reduced_mb: float = doc("Available memory below which the tier drops to reduced.", 600.0)
    mem_minimal_mb: float = doc("Available memory below which the model is unloaded (minimal).", 300.0)
    cpu_reduced: float = doc("Load average per core at or above which the tier drops to reduced.", 1.5)
    temp_reduced_c: float = doc("CPU temperature for reduced.", 80.0)
    temp_minimal_c: float = doc("CPU temperature for minimal.", 90.0)
    battery_reduced_pct: float = doc("Battery level (on battery) for reduced.", 30.0)
    battery_minimal_pct: float = doc("Battery level (on battery) for minimal.", 10.0)
    disk_minimal_mb: float = doc("Free disk in the data dir below which the tier is minimal.", 200.0)
    margin: float = doc("Headroom beyond a threshold required before stepping back up (fraction).", 0.15)
    recover_s: float = doc("How long readings must stay good before stepping back up.", 60.0)
    health_interval_s: float = doc("How often a health snapshot is queued for sync.", 300.0)


@dataclass(frozen=True)
class CloudConfig:
    base_url: str = doc("OpenAI-compatible endpoint for escalations (POST {base_url}/chat/completions); "
                        "empty = escalations wait in the outbox.", "")
    model: str = doc("Model name sent to the cloud endpoint.", "")
    api_key_env: str = doc("Environment variable holding the cloud API key.", "KIOSK_CLOUD_API_KEY")


@dataclass(frozen=True)
class IngestConfig:
    url: str = doc("Endpoint receiving usage meters and health events as CloudEvents batches; empty = wait.",
                   "")
    token_env: str = doc("Environment variable holding the ingest bearer token.", "KIOSK_INGEST_TOKEN")


@dataclass(frozen=True)
class UpdatesConfig:
    url: str = doc("Where this kiosk asks its hub for releases (GET, signed); empty = no staged updates. "
                   "Filled in by `kiosk enrol`.", "")
    interval_s: float = doc("Seconds between checks for a release.", 300.0)


@dataclass(frozen=True)
class SyncConfig:
    interval_s: float = doc("Seconds between background sync passes.", 30.0)
    batch_size: int = doc("Most events per CloudEvents batch.", 100)
    timeout_s: float = doc("HTTP timeout per request.", 10.0)
    backoff_base_s: float = doc("First retry delay scale (exponential, full jitter).", 2.0)
    backoff_cap_s: float = doc("Longest retry delay.", 300.0)


@dataclass(frozen=True)
class TTSConfig:
    voice: str = doc("The voice answers are spoken with: a Piper voice named in models/manifest.toml (natural), "
                     "or 'espeak' (robotic, tiny). eSpeak NG also speaks when resources run short or the Piper "
                     "voice is missing.", "piper-en-us-joe-medium")
    espeak_voice: str = doc("eSpeak NG voice name, for when eSpeak speaks.", "en-us")
    rate_wpm: int = doc("Speaking rate in words per minute.", 160)
    volume: int = doc("Volume, 0-200 (100 = normal).", 100)


@dataclass(frozen=True)
class SessionConfig:
    idle_reset_s: float = doc("Seconds without interaction after which a visitor's session is wiped.", 45.0)
    countdown_s: float = doc("How long before the wipe the touchscreen asks \"Still there?\" with a countdown.",
                             10.0)


# sha256 of the factory PIN 2468; `kiosk status` warns while it is unchanged.


@dataclass(frozen=True)
class UIConfig:
    fullscreen: bool = doc("`kiosk run` fills the screen (`--windowed` overrides).", True)
    staff_pin_sha256: str = doc("sha256 (hex) of the staff screen's PIN (`printf %s 1234 | sha256sum`); empty "
                                "= the PIN set with `kiosk pin set` or on the touchscreen at first start "
                                "(kept salted in the data dir). There is no factory PIN.", "")
    pin_attempts: int = doc("Wrong PINs in a row before the staff screen locks for `pin_lockout_s`.", 5)
    pin_lockout_s: float = doc("Seconds the staff screen stays locked after too many wrong PINs.", 60.0)
    text_scale: float = doc("Starting text size (visitors can change it; 1.0 = normal).", 1.0)
    high_contrast: bool = doc("Start in the high-contrast theme.", False)
    speak_answers: bool = doc("Speak answers aloud as they stream (silent if there is no output device).", True)
    suggestions: int = doc("How many suggested questions the attract screen shows.", 4)


@dataclass(frozen=True)
class BundlesConfig:
    trusted_keys: str = doc("Public keys whose signed bundles this kiosk installs: `ed25519:BASE64` "
                            "entries separated by spaces (`kiosk keys generate` prints one). Empty = none.", "")
    max_file_mb: int = doc("Largest single file a bundle may carry.", 4096)
    max_total_mb: int = doc("Largest bundle (all files).", 8192)
    health_timeout_s: float = doc("How long the post-install health check may take before it counts as failed.",
                                  300.0)
    probe_question: str = doc("Question the health check asks when the bundle names none.",
                              "When are you open?")


@dataclass(frozen=True)
class HubConfig:
    """The fleet hub (`kiosk hub serve`). In a TOML file the upstream may also be written as a table,
    ``[hub.upstream] base_url = ..., model = ..., api_key_env = ...``."""
    upstream_base_url: str = doc("OpenAI-compatible server the hub asks kiosks' escalations of (llama.cpp's "
                                 "server, vLLM, a hosted API); empty = every escalation waits for staff.", "")
    upstream_model: str = doc("Model name sent to the upstream.", "")
    upstream_api_key_env: str = doc("Environment variable holding the upstream's API key.",
                                    "KIOSK_HUB_UPSTREAM_API_KEY")
    upstream_timeout_s: float = doc("How long the hub waits for the upstream before queueing for staff; keep it "
                                    "under the kiosks' [sync] timeout_s (10 s), or they retry meanwhile.", 8.0)
    offline_after_s: float = doc("A kiosk not heard from for this long is shown offline.", 180.0)
    session_hours: float = doc("How long a dashboard login lasts.", 12.0)
    signing_key: str = doc("Private key (`kiosk keys generate`) the hub signs pack releases with; empty = the "
                           "key stays off the server and releases are signed offline and uploaded.", "")
    rings: str = doc("Rollout order of a new release: ring names separated by commas, ending in 'all'.",
                     "canary,all")
    regression_check_s: float = doc("How often rolling releases are checked for a regression after the update "
                                    "(escalation rate, answer latency) and halted if they regressed.", 60.0)
    slow_request_s: float = doc("A connection must send a request's head, and then its body, within this long "
                                "or it is closed (slow clients cannot hold sockets for ever).", 20.0)
    login_checks: int = doc("Password checks run at once (each takes 64 MiB and most of a core).", 1)
    login_waiting: int = doc("Logins that may wait for a password check; beyond that a login is answered 429.", 4)
    metrics_token_env: str = doc("Environment variable holding the bearer token GET /metrics asks for "
                                 "(Authorization: Bearer ...); unset or empty = /metrics is not served.",
                                 "KIOSK_HUB_METRICS_TOKEN")
    openapi: bool = doc("Serve /openapi.json, the list of every route; off, strangers are not handed it.", False)
    kiosk_events_per_s: float = doc("Events one kiosk may send per second (with 10 s of credit for a burst); "
                                    "beyond that its batch is answered 429 and retried.", 100.0)
    kiosk_events_per_day: int = doc("Events one kiosk may send per UTC day; beyond that 429 until the next day.",
                                    200_000)
    kiosk_escalations_in_flight: int = doc("Escalations one kiosk may have asked at once; more are answered 429.",
                                           2)
    kiosk_upstream_per_hour: int = doc("Upstream calls one kiosk's escalations may cause per hour; beyond that "
                                       "its questions wait for staff without asking the upstream.", 120)
    retention_days: int = doc("Events are deleted this many days after the hub received them (0 = kept).", 400)


@dataclass(frozen=True)
class Config:
    data_dir: str = doc("Where databases live; $KIOSK_DATA_DIR wins; empty = the user data dir.", "")
    device: DeviceConfig = doc("This kiosk.", default_factory=DeviceConfig, default=dataclasses.MISSING)
    llm: LLMConfig = doc("The local language model.", default_factory=LLMConfig, default=dataclasses.MISSING)
    knowledge: KnowledgeConfig = doc("The venue knowledge pack.", default_factory=KnowledgeConfig,
                                     default=dataclasses.MISSING)
    turn: TurnConfig = doc("Routing of a visitor's turn.", default_factory=TurnConfig,
                           default=dataclasses.MISSING)
    session: SessionConfig = doc("Visitor sessions.", default_factory=SessionConfig,
                                 default=dataclasses.MISSING)
    speech: SpeechConfig = doc("Speech recognition.", default_factory=SpeechConfig, default=dataclasses.MISSING)
    resources: ResourcesConfig = doc("Resource governor.", default_factory=ResourcesConfig,
                                     default=dataclasses.MISSING)
    cloud: CloudConfig = doc("Cloud model for escalations.", default_factory=CloudConfig, default=dataclasses.MISSING)
    ingest: IngestConfig = doc("Meter and health ingest.", default_factory=IngestConfig, default=dataclasses.MISSING)
    sync: SyncConfig = doc("Outbox delivery.", default_factory=SyncConfig, default=dataclasses.MISSING)
    updates: UpdatesConfig = doc("Releases from the hub (staged rollout).", default_factory=UpdatesConfig,
                                 default=dataclasses.MISSING)
    tts: TTSConfig = doc("Speech output.", default_factory=TTSConfig, default=dataclasses.MISSING)
    ui: UIConfig = doc("The touchscreen.", default_factory=UIConfig, default=dataclasses.MISSING)
    bundles: BundlesConfig = doc("Signed update bundles.", default_factory=BundlesConfig,
                                 default=dataclasses.MISSING)
    hub: HubConfig = doc("The fleet hub, when this machine runs one.", default_factory=HubConfig,
                         default=dataclasses.MISSING)
    source: str = doc("The file this configuration was read from (informational).", "")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()

    @property
    def db_path(self) -> Path:
        return self.data_path / "kiosk.db"

    @property
    def knowledge_db_path(self) -> Path:
        return self.data_path / "knowledge.db"

    @property
    def bundles_path(self) -> Path:
        return self.data_path / "bundles"

    @property
    def installed_models_path(self) -> Path:
        """Models installed on this kiosk (Vosk...); the app directory may be read-only."""
        return self.data_path / "models"


_SECTION_TYPES = {"device": DeviceConfig, "llm": LLMConfig, "knowledge": KnowledgeConfig,
                  "turn": TurnConfig, "session": SessionConfig, "speech": SpeechConfig,
                  "resources": ResourcesConfig, "cloud": CloudConfig, "ingest": IngestConfig,
                  "sync": SyncConfig, "tts": TTSConfig, "ui": UIConfig, "bundles": BundlesConfig,
                  "hub": HubConfig, "updates": UpdatesConfig}


def hub_overlay(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Settings from this kiosk's enrolment with a hub (``kiosk enrol``): the device id and the hub's URLs."""
    import json

    try:
        e = json.loads((data_dir / "hub.json").read_text())
        out = {"device": {"id": e["device_id"]}, "ingest": {"url": e["ingest_url"]}}
        if e.get("cloud_base_url"):  # a hub that answers escalations says so
            out["cloud"] = {"base_url": e["cloud_base_url"]}
        if e.get("updates_url"):
            out["updates"] = {"url": e["updates_url"]}
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def bundle_overlay(bundles_dir: Path) -> dict[str, dict[str, Any]]:
    """Settings from the installed bundle (``kiosk bundle install``): its model, pack and config file.
    A bundle may not change where data lives or which keys are trusted."""
    current = bundles_dir / "current"
    if not current.is_symlink():
        return {}
    root = current.resolve()
    try:
        import json

        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged install: the kiosk runs on its own config; `kiosk bundle status` says why
    overlay: dict[str, dict[str, Any]] = {}
    if manifest.get("config"):
        try:
            raw = tomllib.loads((root / manifest["config"]).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError("bad_bundle_config", f"the installed bundle's config is unreadable: {exc}") from exc
        for name, values in raw.items():
            if name in _SECTION_TYPES and name != "bundles" and isinstance(values, dict):
                overlay[name] = dict(values)
    if manifest.get("model"):
        overlay.setdefault("llm", {})["model"] = str(root / manifest["model"])
    if manifest.get("pack"):
        overlay.setdefault("knowledge", {})["pack"] = str(root / manifest["pack"])
    return overlay


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("kiosk")) / "config.toml"


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("kiosk"))


def _coerce(value: Any, target: Any, where: str) -> Any:
    """Convert a TOML or environment value to the field's declared type, or fail clearly."""
    kind = target if isinstance(target, type) else {"str": str, "int": int, "float": float,
                                                     "bool": bool}.get(str(target), str)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    elif isinstance(value, str):
        return value
    raise ConfigError("bad_config_value", f"{where}: expected {kind.__name__}, got {value!r}")


def _section(cls: type, values: Mapping[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError("unknown_config_key", f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(known)}")
    return cls(**{k: _coerce(v, known[k].type, f"{where}.{k}") for k, v in values.items()})


def load_config(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Build the effective configuration. ``env`` defaults to ``os.environ`` (passed in by tests)."""
    env = os.environ if env is None else env
    file_path: Path | None = None
    if path:
        file_path = Path(path)
    elif env.get("KIOSK_CONFIG"):
        file_path = Path(env["KIOSK_CONFIG"])
    elif default_config_path().is_file():
        file_path = default_config_path()

    raw: dict[str, Any] = {}
    if file_path is not None:
        try:
            raw = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError("config_not_found", f"config file {file_path} does not exist") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("bad_config", f"config file {file_path} is not valid TOML: {exc}") from exc

    sections: dict[str, dict[str, Any]] = {name: dict(raw.pop(name, {}) or {}) for name in _SECTION_TYPES}
    upstream = sections["hub"].pop("upstream", {})
    if not isinstance(upstream, dict):
        raise ConfigError("bad_config", "[hub.upstream] must be a table (base_url, model, api_key_env, timeout_s)")
    sections["hub"].update({f"upstream_{k}": v for k, v in upstream.items()})
    data_dir = raw.pop("data_dir", "")
    if raw:
        raise ConfigError("unknown_config_key", f"unknown top-level key(s): {', '.join(sorted(raw))}")

    for key, value in env.items():
        if not key.startswith("KIOSK_") or key in {"KIOSK_CONFIG", "KIOSK_DATA_DIR"}:
            continue
        section, _, name = key[len("KIOSK_"):].lower().partition("_")
        # Only names of real settings: secrets such as $KIOSK_CLOUD_API_KEY share the prefix.
        if section in _SECTION_TYPES and name in {f.name for f in dataclasses.fields(_SECTION_TYPES[section])}:
            sections[section][name] = value
    if env.get("KIOSK_DATA_DIR"):
        data_dir = env["KIOSK_DATA_DIR"]
    if not data_dir:
        data_dir = str(default_data_dir())
    for section, values in hub_overlay(Path(data_dir).expanduser()).items():
        for name, value in values.items():  # enrolled with a hub: its URLs, unless this config sets its own
            sections[section].setdefault(name, value)
    for section, values in bundle_overlay(Path(data_dir).expanduser() / "bundles").items():
        for name, value in values.items():  # the bundle fills in what this kiosk's own config leaves unset
            sections[section].setdefault(name, value)

    built = {name: _section(cls, sections[name], name) for name, cls in _SECTION_TYPES.items()}
    return Config(data_dir=str(data_dir), source=str(file_path or ""), **built)


def as_dict(config: Config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def field_docs(cls: type = Config, prefix: str = "") -> dict[str, str]:
    """Dotted field name -> its documentation, for ``kiosk config show --docs``."""
    out: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name}"
        sub = _SECTION_TYPES.get(f.name) if not prefix else None
        if sub is not None:
            out.update(field_docs(sub, f"{name}."))
        else:
            out[name] = f.metadata.get("doc", "")
    return out
