import pytest

from agent.common.config import ConfigError, load_settings
from agent.gateway.models import choose_model


def test_defaults_and_env_overrides(tmp_path, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: openai/gpt-4o-mini\nconfidence_threshold: 0.7\ninput:\n  max_reply_chars: 2000\n")
    monkeypatch.delenv("AIOPS_MODEL")
    s = load_settings(cfg)
    assert s.model == "openai/gpt-4o-mini" and s.confidence_threshold == 0.7 and s.input.max_reply_chars == 2000
    monkeypatch.setenv("AIOPS_MODEL", "anthropic/claude-3-5-haiku-latest")
    monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("AIOPS_INPUT__MAX_REPLY_CHARS", "500")
    s = load_settings(cfg)
    assert s.model.startswith("anthropic/") and s.data_dir == tmp_path / "d" and s.input.max_reply_chars == 500


@pytest.mark.parametrize(
    "text, key",
    [
        ("confidence_threshold: 3\n", "confidence_threshold"),
        ("modle: gpt-4o\n", "modle"),
        ("input:\n  max_reply_chars: nope\n", "input.max_reply_chars"),
        ("- just a list\n", "mapping"),
        ("model: [unclosed\n", "Cannot read config"),
    ],
)
def test_invalid_config_names_the_key(tmp_path, text, key):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(cfg)


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_missing_key_falls_back_to_offline_with_notice(monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "openai/gpt-4o-mini")
    choice = choose_model(load_settings())
    assert choice.model == "offline/rubric" and "OPENAI_API_KEY" in choice.notice


def test_missing_key_without_offline_fallback_is_an_error(monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "anthropic/claude-3-5-haiku-latest")
    monkeypatch.setenv("AIOPS_OFFLINE_FALLBACK", "false")
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        choose_model(load_settings())


def test_with_a_key_the_llm_is_used_and_offline_is_the_last_fallback(monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    choice = choose_model(load_settings())
    assert choice.model == "openai/gpt-4o-mini" and choice.fallbacks == ["offline/rubric"] and not choice.notice


def test_list_settings_take_a_yaml_list_json_or_commas(tmp_path, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("fallbacks: [openai/gpt-4o, anthropic/claude-sonnet-4-5]\n")
    assert load_settings(cfg).fallbacks == ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]
    cfg.write_text("fallbacks: openai/gpt-4o, anthropic/claude-sonnet-4-5\n")
    assert load_settings(cfg).fallbacks == ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]
    monkeypatch.setenv("AIOPS_FALLBACKS", "openai/gpt-4o")
    assert load_settings(cfg).fallbacks == ["openai/gpt-4o"]


def test_an_invalid_environment_variable_is_named_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("AIOPS_FALLBACKS", '["unclosed"')
    with pytest.raises(ConfigError, match=r"environment variable AIOPS_FALLBACKS .*comma-separated list"):
        load_settings()
    monkeypatch.delenv("AIOPS_FALLBACKS")
    monkeypatch.setenv("AIOPS_CHROMA", "{nope")
    with pytest.raises(ConfigError, match=r"AIOPS_CHROMA .*JSON object.*AIOPS_CHROMA__KEY"):
        load_settings()
    cfg = tmp_path / "c.yaml"
    cfg.write_text("fallbacks: 3\n")
    monkeypatch.delenv("AIOPS_CHROMA")
    with pytest.raises(ConfigError, match=r"config key 'fallbacks'.*Fix it in .*c\.yaml"):
        load_settings(cfg)
