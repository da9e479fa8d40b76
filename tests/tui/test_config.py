"""Settings: where keys come from (only their last 4 characters shown), default model, provider settings."""

from tui.config import Settings, build_agent, default_model, key_sources


def test_key_sources_name_the_origin_and_show_only_the_last_four_characters(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("ANTHROPIC_API_KEY=sk-ant-FROMFILE-9876\n")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-FROMENVIRONMENT-1234")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-FROMFILE-9876")  # as load_dotenv would have set it
    described = [source.describe() for source in key_sources(dotenv)]
    assert described == [
        "OPENAI_API_KEY: …1234 (from the environment)",
        "ANTHROPIC_API_KEY: …9876 (from the .env file)",
    ]
    assert not any("FROM" in line for line in described)


def test_missing_keys_are_reported_as_not_set(tmp_path):
    assert [s.describe() for s in key_sources(tmp_path / "absent.env")] == [
        "OPENAI_API_KEY: not set",
        "ANTHROPIC_API_KEY: not set",
    ]


def test_default_model_follows_the_configuration(monkeypatch):
    monkeypatch.delenv("MINIAGENTS_MODEL")
    monkeypatch.setattr("tui.config.local_model_installed", lambda: False)
    assert default_model() == "demo"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert default_model().startswith("anthropic:")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    assert default_model().startswith("openai:")
    monkeypatch.setenv("MINIAGENTS_MODEL", "demo")
    assert default_model() == "demo"


def test_retry_and_idle_timeout_settings_reach_the_provider_agents():
    settings = Settings(max_retries=5, idle_timeout=7.5)
    for spec in ("openai:some-model", "anthropic:other-model"):
        agent = build_agent(spec, settings)
        assert agent.defaults["max_retries"] == 5
        assert agent.defaults["idle_timeout"] == 7.5
        assert agent.defaults["model"] == spec.partition(":")[2]
