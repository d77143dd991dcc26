"""The appliance's settings: one TOML file, checked completely at start-up.

Why so strict: the appliance runs unattended for years. A typo (`quiet_secnds`) that silently kept
a default would go unnoticed until the call it mattered for, so every unknown key, wrong type or
out-of-range value stops start-up with one line naming the file and the key (and a guess at what
was meant). Paths in the file are relative to the file's folder.

Where the file is: the `path` given (`--config`), else `$CALLERID_CONFIG`, else
`/etc/callerid/config.toml` if it exists, else the built-in defaults.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from callerid.config_checks import LANGUAGES, Check
from callerid.config_checks import Invalid as _Invalid
from callerid.config_checks import boolean as _boolean
from callerid.config_checks import choice as _choice
from callerid.config_checks import integer as _integer
from callerid.config_checks import number as _number
from callerid.config_checks import show as _show
from callerid.config_checks import string as _string
from callerid.config_outputs import OUTPUT_SECTIONS, HealthConfig, NotifyConfig, OledConfig
from callerid.fleet.config import FleetConfig, fleet_config
from callerid.model import VERDICT_CODES
from callerid.modem.profiles import PROFILES
from callerid.paths import default_cache_dir, default_db_path
from callerid.policy import DEFAULT_ACTIONS, PolicyError, defaults_for, validate_actions
from callerid.recording.settings import RecordingConfig
from callerid.screen.engine import ScreenConfig
from callerid.screen.police import load_directory

if TYPE_CHECKING:
    from callerid.screen.engine import ScreenConfig

DEFAULT_PATH = Path("/etc/callerid/config.toml")
ENV_VAR = "CALLERID_CONFIG"

#: ITU-T T.35 country codes for `AT+GCI`, as Conexant/Rockwell modem manuals list them.
T35_COUNTRY_CODES: Mapping[str, str] = MappingProxyType(
    {
        "JP": "00", "AU": "09", "AT": "0A", "BE": "0F", "BR": "16", "BG": "1B", "CA": "20", "CN": "26",
        "CZ": "2E", "DK": "31", "FI": "3C", "FR": "3D", "DE": "42", "GR": "46", "HK": "50", "HU": "51",
        "IN": "53", "IE": "57", "IL": "58", "IT": "59", "KR": "61", "LU": "69", "MY": "6C", "MX": "73",
        "NL": "7B", "NZ": "7E", "NO": "82", "PH": "89", "PL": "8A", "PT": "8B", "SG": "9C", "ZA": "9F",
        "ES": "A0", "SE": "A5", "CH": "A6", "GB": "B4", "US": "B5", "RU": "B8", "TW": "FE",
    }
)  # fmt: skip



class ConfigError(Exception):
    """A configuration problem, as one line naming the file and the key."""

    def __init__(self, message: str, *, key: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.path = path


# --------------------------------------------------------------------------- the records


@dataclass(frozen=True)
class ModemConfig:
    port: str = "auto"
    profile: str = "auto"
    country_code: str | None = None  # T.35 for AT+GCI; None: derived from the region
    number_display: str = "auto"  # Japan's Number Display by FSK on a voice modem: auto | on | off
    quiet_seconds: float = 1.5
    ping_seconds: float = 30.0


@dataclass(frozen=True)
class StoreConfig:
    db: str = field(default_factory=default_db_path)


@dataclass(frozen=True)
class PoliceConfig:
    extra_csv: str | None = None


@dataclass(frozen=True)
class PolicyConfig:
    actions: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType(dict(DEFAULT_ACTIONS))
    )

    #: The region whose defaults `actions` was merged over (None: the region-neutral defaults,
    #: which `Config` replaces with its own region's, e.g. `record` in Japan).
    region: str | None = field(default=None, compare=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolicyConfig) and dict(self.actions) == dict(other.actions)

    def __hash__(self) -> int:
        return hash(frozenset(self.actions.items()))


@dataclass(frozen=True)
class SpeechConfig:
    enabled: bool = True
    language: str = "ja"
    volume: float = 1.0
    rate: float = 0.85
    cache_dir: str = field(default_factory=default_cache_dir)
    repeat: bool = True


@dataclass(frozen=True)
class PanelConfig:
    enabled: bool = True
    red: int = 17
    amber: int = 27
    green: int = 22
    buzzer: int | None = 23
    button: int | None = 24
    long_press_seconds: float = 2.0


@dataclass(frozen=True)
class WebConfig:
    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = 8080
    api_token: str | None = None
    language: str = "auto"  # auto: the browser's Accept-Language


@dataclass(frozen=True)
class Config:
    region: str = "JP"
    language: str = "ja"
    modem: ModemConfig = field(default_factory=ModemConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    police: PoliceConfig = field(default_factory=PoliceConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    panel: PanelConfig = field(default_factory=PanelConfig)
    web: WebConfig = field(default_factory=WebConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    oled: OledConfig = field(default_factory=OledConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    recording: RecordingConfig = field(default_factory=RecordingConfig)
    #: The file this came from (None: built-in defaults); not part of equality.
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.modem.country_code is None and self.region in T35_COUNTRY_CODES:
            derived = replace(self.modem, country_code=T35_COUNTRY_CODES[self.region])
            object.__setattr__(self, "modem", derived)
        if self.policy.region is None and dict(self.policy.actions) == dict(DEFAULT_ACTIONS):
            regional = PolicyConfig(actions=MappingProxyType(defaults_for(self.region)), region=self.region)
            object.__setattr__(self, "policy", regional)

    def with_db(self, db: str | Path | None) -> Config:
        """This config with the store path replaced (what `--db PATH` does); None leaves it."""
        if db is None:
            return self
        return replace(self, store=StoreConfig(db=str(Path(db).expanduser())))


# --------------------------------------------------------------------------- validators

def _region(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value):
        raise _Invalid(f"must be a two-letter country code such as 'JP', 'US' or 'GB', not {_show(value)}")
    region = value.upper()
    if region not in T35_COUNTRY_CODES:
        import phonenumbers  # only for the rarer regions: it costs start-up time on a Pi

        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise _Invalid(f"{region!r} is not a country code that phone numbers are known for")
    return region


def _country_code(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f]{2}", value):
        raise _Invalid(f"must be a two-digit hex T.35 code such as '00' (JP), 'B5' (US), not {_show(value)}")
    return value.upper()


def _profile(value: Any) -> str:
    name = _string(value)
    if name == "auto":
        return name
    if name not in PROFILES:
        known = ("auto", *PROFILES)
        hint = difflib.get_close_matches(name, known, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise _Invalid(f"unknown modem profile {name!r}{did}; choose from {', '.join(known)}")
    return name


def _host(value: Any) -> str:
    text = _string(value)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", text):
            raise _Invalid(f"must be an IP address or host name, not {_show(value)}") from None
    return text


def _token(value: Any) -> str:
    text = _string(value)
    if len(text) < 20:
        raise _Invalid(
            f"is too short ({len(text)} characters); use at least 20 random characters, "
            "e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    return text


def _path(*, must_exist: bool = False) -> Callable[[Any, Path | None], str]:
    def check(value: Any, base: Path | None) -> str:
        path = Path(_string(value)).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if must_exist and not path.is_file():
            raise _Invalid(f"file not found: {path}")
        return str(path)

    return check


def _section_of(cls: type) -> str:
    """The [table] name of a section: the name of the `Config` field that holds it."""
    return next(f.name for f in fields(Config) if f.default_factory is cls)


#: section -> key -> check. Path checks take (value, folder of the config file).
_SECTIONS: dict[str, tuple[type, dict[str, Any]]] = {
    "modem": (
        ModemConfig,
        {
            "port": _string,
            "profile": _profile,
            "country_code": _country_code,
            "number_display": _choice("auto", "on", "off"),
            "quiet_seconds": _number(0.2, 10),
            "ping_seconds": _number(5, 3600),
        },
    ),
    "store": (StoreConfig, {"db": _path()}),
    "police": (PoliceConfig, {"extra_csv": _path(must_exist=True)}),
    "speech": (
        SpeechConfig,
        {
            "enabled": _boolean,
            "language": _choice(*LANGUAGES),
            "volume": _number(0, 1),
            "rate": _number(0.3, 2),
            "cache_dir": _path(),
            "repeat": _boolean,
        },
    ),
    _section_of(PanelConfig): (
        PanelConfig,
        {
            "enabled": _boolean,
            "red": _integer(0, 27),
            "amber": _integer(0, 27),
            "green": _integer(0, 27),
            "buzzer": _integer(0, 27, allow_false=True),
            "button": _integer(0, 27, allow_false=True),
            "long_press_seconds": _number(0.5, 10),
        },
    ),
    "web": (
        WebConfig,
        {
            "enabled": _boolean,
            "host": _host,
            "port": _integer(1, 65535),
            "api_token": _token,
            "language": _choice("auto", *LANGUAGES),
        },
    ),
    **OUTPUT_SECTIONS,
    "recording": (RecordingConfig, {  # docs/recording.md
        "enabled": _boolean, "language": _choice(*LANGUAGES), "folder": _path(),
        "time_limit_minutes": _number(1, 240), "retention_days": _number(1, 3650),
        "max_total_mb": _number(1, 1_000_000), "min_free_mb": _number(0, 1_000_000),
        "listen_seconds": _number(0.5, 10), "quiet_seconds": _number(2, 120),
        "announcement_dbfs": _number(-40, -6),
    }),
}
#: Keys whose check resolves a path against the config file's folder.
_PATH_KEYS = ("db", "extra_csv", "cache_dir", "folder")
_TOP_LEVEL: dict[str, Check] = {"region": _region, "language": _choice(*LANGUAGES)}
_ALL_TOP = (*_TOP_LEVEL, *_SECTIONS, "policy", "fleet")


# --------------------------------------------------------------------------- loading


def _unknown(source: str, key: str, known: Any) -> ConfigError:
    name = key.rsplit(".", 1)[-1]
    hint = difflib.get_close_matches(name, [str(k) for k in known], n=1)
    did = f" (did you mean {hint[0]!r}?)" if hint else ""
    return ConfigError(f"{source}: unknown key {key!r}{did}", key=key, path=source)


def _build(data: Mapping[str, Any], source: str, base: Path | None) -> Config:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {problem}", key=key, path=source)

    for key in data:
        if key not in _ALL_TOP:
            raise _unknown(source, key, _ALL_TOP)
    top: dict[str, Any] = {}
    for key, check in _TOP_LEVEL.items():
        if key in data:
            try:
                top[key] = check(data[key])
            except _Invalid as exc:
                raise fail(key, str(exc)) from None
    sections: dict[str, Any] = {}
    for name, (cls, checks) in _SECTIONS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise fail(name, f"must be a table ([{name}]), not {_show(table)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            dotted = f"{name}.{key}"
            if key not in checks:
                raise _unknown(source, dotted, checks)
            check = checks[key]
            try:
                values[key] = check(value, base) if key in _PATH_KEYS else check(value)
            except _Invalid as exc:
                raise fail(dotted, str(exc)) from None
        household_language = ("speech", "oled", _section_of(NotifyConfig))
        if name in household_language and "language" not in values and "language" in top:
            values["language"] = top["language"]  # speak the household's language unless told otherwise
        sections[name] = cls(**values)
    _check_pins(sections[_section_of(PanelConfig)], fail)
    sections["policy"] = _policy(data.get("policy", {}), source, fail, top.get("region", "JP"))
    sections["fleet"] = fleet_config(data.get("fleet", {}), base, fail)
    return Config(**top, **sections, source=source)


def _check_pins(panel: PanelConfig, fail: Callable[[str, str], ConfigError]) -> None:
    seen: dict[int, str] = {}
    for item in fields(PanelConfig):
        pin = getattr(panel, item.name)
        if item.name in ("enabled", "long_press_seconds") or pin is None:
            continue
        if pin in seen:
            raise fail(f"panel.{item.name}", f"GPIO {pin} is already used by panel.{seen[pin]}")
        seen[pin] = item.name


def _policy(table: Any, source: str, fail: Callable[[str, str], ConfigError], region: str) -> PolicyConfig:
    if not isinstance(table, dict):
        raise fail("policy", f"must be a table ([policy]), not {_show(table)}")
    for code in table:
        if code not in VERDICT_CODES:
            raise _unknown(source, f"policy.{code}", VERDICT_CODES)
    try:
        actions = validate_actions(table, region)
    except PolicyError as exc:
        code = str(exc).split(":", 1)[0]
        raise ConfigError(f"{source}: policy.{exc}", key=f"policy.{code}", path=source) from None
    return PolicyConfig(actions=MappingProxyType(actions), region=region)


def parse_config(text: str, source: str = "<config>", base: Path | None = None) -> Config:
    """A Config from TOML text (what load_config does after reading the file)."""
    try:
        data = tomllib.loads(text)
        return _build(data, source, base)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}", path=source) from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: thousands of `[` exhaust the
        # stack. No setting of ours is nested more than two levels, so this is never a real file.
        raise ConfigError(f"{source}: arrays or tables nested too deeply", path=source) from None


def load_config(path: str | Path | None = None) -> Config:
    """Read and check the configuration (see the module docstring for where it is looked for)."""
    if path is None:
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            path = env
        elif DEFAULT_PATH.is_file():
            path = DEFAULT_PATH
        else:
            return Config()
    file = Path(path).expanduser()
    source = str(file)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such configuration file", path=source) from None
    except IsADirectoryError:
        raise ConfigError(f"{source}: is a folder, not a configuration file", path=source) from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror}", path=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text (byte {exc.start})", path=source) from None
    return parse_config(text, source, file.absolute().parent)


def screen_config(cfg: Config) -> ScreenConfig:
    """The screening engine's settings, with the police directory loaded once (file I/O happens here)."""
    try:
        directory = load_directory(cfg.police.extra_csv)
    except (OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"{cfg.source or 'config'}: police.extra_csv: {message}", key="police.extra_csv", path=cfg.source
        ) from None
    return ScreenConfig(region=cfg.region, police=directory)


__all__ = [
    "DEFAULT_PATH",
    "T35_COUNTRY_CODES",
    "Config",
    "ConfigError",
    "HealthConfig",
    "NotifyConfig",
    "OledConfig",
    "FleetConfig",
    "ModemConfig",
    "RecordingConfig",
    "PanelConfig",
    "PoliceConfig",
    "PolicyConfig",
    "SpeechConfig",
    "StoreConfig",
    "WebConfig",
    "default_cache_dir",
    "default_db_path",
    "load_config",
    "parse_config",
    "screen_config",
]
