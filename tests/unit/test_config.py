import pytest

from kiosk.config import Config, field_docs, load_config
from kiosk.errors import ConfigError


def test_defaults_are_documented():
    docs = field_docs()
    assert docs["llm.n_threads"] and docs["turn.direct_threshold"] and docs["data_dir"]
    assert all(docs.values())


def test_precedence_file_then_env_then_data_dir(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text('data_dir = "/from/file"\n[llm]\nn_threads = 1\nmax_tokens = 10\n')
    c = load_config(cfg, env={"KIOSK_LLM_MAX_TOKENS": "20"})
    assert (c.llm.n_threads, c.llm.max_tokens, c.data_dir) == (1, 20, "/from/file")
    c = load_config(None, env={"KIOSK_CONFIG": str(cfg), "KIOSK_DATA_DIR": "/env"})
    assert c.data_dir == "/env" and c.llm.n_threads == 1 and c.source == str(cfg)


def test_bool_and_float_env_values_are_coerced():
    c = load_config(None, env={"KIOSK_LLM_ENABLED": "no", "KIOSK_TURN_DIRECT_THRESHOLD": "0.7"})
    assert c.llm.enabled is False and c.turn.direct_threshold == 0.7


@pytest.mark.parametrize("text,code", [
    ("[llm]\nthreads = 2\n", "unknown_config_key"),
    ("colour = 'red'\n", "unknown_config_key"),
    ("[llm]\nn_threads = 'many'\n", "bad_config_value"),
    ("[llm\n", "bad_config"),
])
def test_bad_files_fail_clearly(tmp_path, text, code):
    cfg = tmp_path / "k.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(cfg, env={})
    assert exc.value.code == code


def test_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.toml", env={})
    assert exc.value.code == "config_not_found"


def test_paths_derive_from_data_dir():
    c = Config(data_dir="/d")
    assert str(c.db_path) == "/d/kiosk.db" and str(c.knowledge_db_path) == "/d/knowledge.db"


def test_secret_env_vars_with_the_prefix_are_not_settings():
    c = load_config(None, env={"KIOSK_CLOUD_API_KEY": "sk-secret", "KIOSK_INGEST_TOKEN": "t",
                               "KIOSK_CLOUD_BASE_URL": "http://127.0.0.1:1/v1"})
    assert c.cloud.base_url == "http://127.0.0.1:1/v1" and "sk-secret" not in str(c)
