"""The TOML configuration: defaults, the shipped example, where it is found, and one-line errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from callerid import config as config_module
from callerid.config import (
    Config,
    ConfigError,
    ModemConfig,
    load_config,
    parse_config,
    screen_config,
)


@pytest.fixture(autouse=True)
def no_system_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read this machine's /etc or environment."""
    monkeypatch.setattr(config_module, "DEFAULT_PATH", tmp_path / "etc" / "config.toml")
    monkeypatch.delenv("CALLERID_CONFIG", raising=False)
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state"))
    monkeypatch.setenv("CACHE_DIRECTORY", str(tmp_path / "cache"))


def example_text() -> str:
    return resources.files("callerid").joinpath("config.example.toml").read_text(encoding="utf-8")


def test_shipped_example_equals_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(example_text(), encoding="utf-8")
    assert load_config(path) == Config()


def test_shipped_example_mentions_every_key() -> None:
    text = example_text()
    for section, (_cls, checks) in config_module._SECTIONS.items():
        assert f"[{section}]" in text
        for key in checks:
            assert f"{key} =" in text, f"{section}.{key} is not in the example"
    from callerid.model import VERDICT_CODES

    for code in VERDICT_CODES:
        assert f"\n{code} = " in text


def test_defaults_match_the_agreed_interface(tmp_path: Path) -> None:
    cfg = load_config()  # no file anywhere: built-in defaults
    assert cfg.source is None
    assert (cfg.region, cfg.language) == ("JP", "ja")
    assert cfg.modem == ModemConfig(country_code="00")  # derived from region JP
    assert cfg.store.db == str(tmp_path / "state" / "calls.db")
    assert cfg.speech.cache_dir == str(tmp_path / "cache" / "speech")
    assert (cfg.panel.red, cfg.panel.amber, cfg.panel.green, cfg.panel.buzzer, cfg.panel.button) == (
        17, 27, 22, 23, 24,
    )  # fmt: skip
    web = cfg.web
    assert (web.host, web.port, web.api_token, web.language) == ("0.0.0.0", 8080, None, "auto")
    # Issue 18: in Japan (the default region) police, international and withheld calls are recorded.
    assert cfg.policy.actions["police-number"] == {"warn-household", "panel", "record"}


def test_record_is_on_by_default_only_in_japan_and_a_household_can_turn_it_off() -> None:
    japan = parse_config('region = "JP"')
    assert {c for c, acts in japan.policy.actions.items() if "record" in acts} == {
        "police-number", "international", "withheld"}
    us = parse_config('region = "US"')
    assert not any("record" in acts for acts in us.policy.actions.values())
    assert not any("record" in acts for acts in parse_config('region = "GB"').policy.actions.values())
    quiet = parse_config('region = "JP"\n[policy]\nwithheld = ["panel"]\n')
    assert quiet.policy.actions["withheld"] == {"panel"}
    assert "record" in quiet.policy.actions["international"]
    opted_in = parse_config('region = "US"\n[policy]\nwithheld = ["panel", "record"]\n')
    assert "record" in opted_in.policy.actions["withheld"]
    assert Config(region="US").policy.actions == us.policy.actions  # built in code, same rule
    cfg = parse_config('[recording]\ntime_limit_minutes = 10\nretention_days = 7\nmax_total_mb = 50\n')
    assert (cfg.recording.time_limit_minutes, cfg.recording.retention_days, cfg.recording.max_total_mb) == (
        10, 7, 50)


@pytest.mark.parametrize(("region", "code"), [("US", "B5"), ("GB", "B4"), ("de", "42")])
def test_country_code_follows_the_region(region: str, code: str) -> None:
    cfg = parse_config(f'region = "{region}"')
    assert cfg.region == region.upper() and cfg.modem.country_code == code


def test_explicit_country_code_wins() -> None:
    assert parse_config('region = "JP"\n[modem]\ncountry_code = "b5"').modem.country_code == "B5"


def test_region_outside_the_t35_table_is_checked_against_phonenumbers() -> None:
    # A valid region without a known T.35 code: the modem keeps its own country setting.
    assert parse_config('region = "KE"').modem.country_code is None


def test_speech_language_follows_the_household_unless_set() -> None:
    assert parse_config('language = "en"').speech.language == "en"
    assert parse_config('language = "en"\n[speech]\nlanguage = "ja"').speech.language == "ja"


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "police_extra.csv").write_text("x\n")
    path = tmp_path / "config.toml"
    path.write_text('[store]\ndb = "log/calls.db"\n[police]\nextra_csv = "police_extra.csv"\n')
    cfg = load_config(path)
    assert cfg.store.db == str(tmp_path / "log" / "calls.db")
    assert cfg.police.extra_csv == str(tmp_path / "police_extra.csv")
    assert cfg.source == str(path)


def test_where_the_file_is_looked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = config_module.DEFAULT_PATH
    system.parent.mkdir(parents=True)
    system.write_text("[web]\nport = 8081\n")
    assert load_config().web.port == 8081
    env_file = tmp_path / "env.toml"
    env_file.write_text("[web]\nport = 8082\n")
    monkeypatch.setenv("CALLERID_CONFIG", str(env_file))
    assert load_config().web.port == 8082
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("[web]\nport = 8083\n")
    assert load_config(explicit).web.port == 8083


def test_no_api_token_and_false_pins_mean_none() -> None:
    cfg = parse_config("[panel]\nbuzzer = false\nbutton = false\n")
    assert cfg.panel.buzzer is None and cfg.panel.button is None


def test_config_is_frozen_and_with_db_replaces_the_store_path() -> None:
    cfg = Config()
    with pytest.raises(AttributeError):
        cfg.region = "US"  # type: ignore[misc]
    assert cfg.with_db("/tmp/x.db").store.db == "/tmp/x.db"
    assert cfg.with_db(None) is cfg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[modem]\nquiet_secnds = 2", "unknown key 'modem.quiet_secnds' (did you mean 'quiet_seconds'?)"),
        ("regoin = 'JP'", "unknown key 'regoin' (did you mean 'region'?)"),
        ("[moden]\nport = 'auto'", "unknown key 'moden' (did you mean 'modem'?)"),
        ("[modem]\nquiet_seconds = 'fast'", "modem.quiet_seconds: must be a number from 0.2 to 10, not 'fa"),
        ("[modem]\nquiet_seconds = 60", "modem.quiet_seconds: must be from 0.2 to 10, not 60"),
        ("[modem]\nnumber_display = 'yes'", "modem.number_display: must be one of 'auto', 'on', 'off'"),
        ("[modem]\ncountry_code = 'Japan'", "modem.country_code: must be a two-digit hex T.35 code"),
        ("[modem]\nport = ''", "modem.port: must be a non-empty string"),
        ("[modem]\nprofile = 'conexnt'", "unknown modem profile 'conexnt' (did you mean 'conexant'?)"),
        ("region = 'ZZ'", "region: 'ZZ' is not a country code"),
        ("region = 'Japan'", "region: must be a two-letter country code"),
        ("language = 'fr'", "language: must be one of 'ja', 'en', not 'fr'"),
        ("[web]\nport = true", "web.port: must be a whole number from 1 to 65535, not True"),
        ("[web]\nport = 70000", "web.port: must be from 1 to 65535, not 70000"),
        ("[web]\napi_token = 'secret'", "web.api_token: is too short (6 characters)"),
        ("[web]\nhost = 'my host!'", "web.host: must be an IP address or host name"),
        ("[web]\nlanguage = 'jp'", "web.language: must be one of 'auto', 'ja', 'en', not 'jp'"),
        ("[speech]\nenabled = 'yes'", "speech.enabled: must be true or false, not 'yes'"),
        ("[speech]\nvolume = 1.5", "speech.volume: must be from 0 to 1, not 1.5"),
        ("[panel]\nred = 40", "panel.red: must be from 0 to 27, not 40"),
        ("[panel]\nbuzzer = 17", "panel.buzzer: GPIO 17 is already used by panel.red"),
        ("[panel]\nbutton = true", "panel.button: must be a whole number from 0 to 27 (or false for none)"),
        ("[police]\nextra_csv = 'nowhere.csv'", "police.extra_csv: file not found"),
        ("modem = 3", "modem: must be a table ([modem]), not 3"),
        ("[policy]\nallowlisted = ['block']", "policy.allowlisted: 'block' is refused"),
        ("[policy]\nwithheld = ['wran-household']", "policy.withheld: unknown action 'wran-household'"),
        ("[policy]\npolice_number = []", "key 'policy.police_number' (did you mean 'police-number'?)"),
        ("[policy]\nwithheld = 'panel'", "policy.withheld: must be a list of action names"),
        ("region = ", "not valid TOML"),
        ("[modem]\n[modem]", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_line_naming_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(text, "/etc/callerid/config.toml", Path("/etc/callerid"))
    line = str(exc.value)
    assert "\n" not in line
    assert line.startswith("/etc/callerid/config.toml: ")
    assert message in line


def test_error_carries_the_key() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config("[web]\nport = 0", "c.toml")
    assert exc.value.key == "web.port" and exc.value.path == "c.toml"


def test_file_problems_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'region = "JP" # caf\xe9\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin1)
    monkeypatch.setenv("CALLERID_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="gone.toml: no such configuration file"):
        load_config()


def test_screen_config_loads_the_police_directory_once() -> None:
    pytest.importorskip("callerid.screen.engine")
    from callerid.screen.engine import ScreenConfig

    cfg = parse_config('region = "JP"')
    screen = screen_config(cfg)
    assert isinstance(screen, ScreenConfig)
    assert screen.region == "JP"
