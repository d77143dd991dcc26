"""Which actions run for which verdict: the household's rules, with safe defaults.

The screening engine says *what* a call is; the policy says *what to do* about it. Kept apart so a
family can, say, stop the spoken warning for withheld numbers without touching the fraud rules.
Two refusals are built in: an allowlisted caller is never blocked (the family said "this one is
fine"), and an unknown verdict code or action name is an error at start-up, not a silent no-op.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from callerid.model import VERDICT_CODES, Action, Advice, Verdict, VerdictCode

#: Every action the appliance knows how to take.
ACTION_NAMES: tuple[Action, ...] = tuple(Action)

_WARN = frozenset({Action.WARN_HOUSEHOLD, Action.PANEL})

_DEFAULTS: dict[VerdictCode, frozenset[Action]] = {
    VerdictCode.BLOCKLISTED: frozenset({Action.BLOCK, Action.PANEL}),
    VerdictCode.POLICE_LOOKALIKE: _WARN | {Action.BLOCK},
    # A real police line may be calling; it may also be spoofed. Warn, never block.
    VerdictCode.POLICE_NUMBER: _WARN,
    VerdictCode.INTERNATIONAL: _WARN,
    VerdictCode.WITHHELD: _WARN,
    VerdictCode.UNAVAILABLE: _WARN,
    VerdictCode.PAYPHONE: _WARN,
    VerdictCode.INVALID: frozenset({Action.PANEL}),
    VerdictCode.ALLOWLISTED: frozenset({Action.PANEL}),
    VerdictCode.ORDINARY: frozenset(),
}

#: The safe defaults, one entry per verdict code (read-only).
DEFAULT_ACTIONS: Mapping[VerdictCode, frozenset[Action]] = MappingProxyType(_DEFAULTS)

#: Where the household expects calls to be joined and recorded by default: in Japan every
#: municipal call-warning recorder does it, and the announcement drives fraud callers away.
RECORDING_REGIONS = frozenset({"JP"})
#: The verdicts recorded by default in those regions (docs/recording.md).
RECORDED_BY_DEFAULT = frozenset({VerdictCode.POLICE_NUMBER, VerdictCode.INTERNATIONAL, VerdictCode.WITHHELD})


def defaults_for(region: str | None) -> dict[VerdictCode, frozenset[Action]]:
    """The safe defaults for a region: `record` is added in Japan, nowhere else."""
    merged = dict(_DEFAULTS)
    if region is not None and region.upper() in RECORDING_REGIONS:
        for code in RECORDED_BY_DEFAULT:
            merged[code] = merged[code] | {Action.RECORD}
    return merged

#: What to do for a verdict code this version does not know, from the engine's own advice.
_FALLBACK_BY_ADVICE: Mapping[Advice, frozenset[Action]] = MappingProxyType(
    {
        Advice.BLOCK: _WARN | {Action.BLOCK},
        Advice.WARN: _WARN,
        Advice.ALLOW: frozenset({Action.PANEL}),
        Advice.NONE: frozenset(),
    }
)


class PolicyError(ValueError):
    """A policy that names an unknown verdict or action, or would do something unsafe."""


def _suggest(word: str, choices: Iterable[str]) -> str:
    choices = [str(c) for c in choices]
    close = [c for c in choices if word and c.startswith(word)]
    close = close or difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate_actions(
    actions: Mapping[str, Any], region: str | None = None
) -> dict[VerdictCode, frozenset[Action]]:
    """Check a verdict -> actions mapping and merge it over the defaults (for `region`).

    Values may be any iterable of action names (a TOML list). Raises PolicyError with one line that
    names the verdict and the bad value.
    """
    merged = defaults_for(region)
    for code, names in actions.items():
        if code not in VERDICT_CODES:
            raise PolicyError(
                f"unknown verdict {code!r}{_suggest(str(code), VERDICT_CODES)}; "
                f"known: {', '.join(VERDICT_CODES)}"
            )
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise PolicyError(f"{code}: must be a list of action names, e.g. [\"warn-household\", \"panel\"]")
        chosen: set[Action] = set()
        for name in names:
            if name not in ACTION_NAMES:
                raise PolicyError(
                    f"{code}: unknown action {name!r}{_suggest(str(name), ACTION_NAMES)}; "
                    f"known: {', '.join(ACTION_NAMES)}"
                )
            chosen.add(Action(name))
        if code == VerdictCode.ALLOWLISTED and Action.BLOCK in chosen:
            raise PolicyError("allowlisted: 'block' is refused: the family chose to allow these numbers")
        merged[VerdictCode(code)] = frozenset(chosen)
    return merged


class Policy:
    """Verdict -> the set of actions to run. Built once at start-up; `actions_for` never raises."""

    def __init__(self, actions: Mapping[str, Iterable[str]] | None = None, region: str | None = None) -> None:
        merged = validate_actions(actions or {}, region)
        self.actions: Mapping[VerdictCode, frozenset[Action]] = MappingProxyType(merged)

    @classmethod
    def from_config(cls, cfg: Any) -> Policy:
        """From a `Config` or its `PolicyConfig` (both carry `.actions`, or `.policy.actions`)."""
        policy_cfg = getattr(cfg, "policy", cfg)
        return cls(policy_cfg.actions)

    def actions_for(self, verdict: Verdict) -> frozenset[Action]:
        """What to do for this verdict. A code this version does not know falls back to the engine's
        suggested action (so a newer screening rule still warns rather than doing nothing)."""
        known = self.actions.get(verdict.verdict)
        if known is not None:
            return known
        return _FALLBACK_BY_ADVICE.get(verdict.action, _WARN)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}: {sorted(v)}" for k, v in self.actions.items())
        return f"Policy({{{body}}})"


__all__ = [
    "ACTION_NAMES", "DEFAULT_ACTIONS", "RECORDED_BY_DEFAULT", "RECORDING_REGIONS", "Policy", "PolicyError",
    "defaults_for", "validate_actions",
]
