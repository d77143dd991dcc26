"""Which actions run for which verdict: the household's rules, with safe defaults.

The screening engine says *what* a call is; the policy says *what to do* about it. Kept apart so a
family can, say, stop the spoken warning for withheld numbers without touching the fraud rules.
Two refusals are built in: an allowlisted caller is never blocked (the family said "this one is
fine"), and an unknown verdict code or action name is an error at start-up, not a silent no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from callerid.model import VERDICT_CODES, Verdict

#: Every action the appliance knows how to take.
ACTION_NAMES = ("warn-household", "panel", "block", "warn-caller", "notify")

_DEFAULTS: dict[str, frozenset[str]] = {
    "blocklisted": frozenset({"block", "panel"}),
    "police-lookalike": frozenset({"warn-household", "panel", "block"}),
    # A real police line may be calling; it may also be spoofed. Warn, never block.
    "police-number": frozenset({"warn-household", "panel"}),
    "international": frozenset({"warn-household", "panel"}),
    "withheld": frozenset({"warn-household", "panel"}),
    "unavailable": frozenset({"warn-household", "panel"}),
    "payphone": frozenset({"warn-household", "panel"}),
    "invalid": frozenset({"panel"}),
    "allowlisted": frozenset({"panel"}),
    "ordinary": frozenset(),
}

#: The safe defaults, one entry per verdict code (read-only).
DEFAULT_ACTIONS: Mapping[str, frozenset[str]] = MappingProxyType(_DEFAULTS)

#: What to do for a verdict code this version does not know, from the engine's own suggestion.
_FALLBACK_BY_ENGINE_ACTION: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "block": frozenset({"warn-household", "panel", "block"}),
        "warn": frozenset({"warn-household", "panel"}),
        "allow": frozenset({"panel"}),
        "none": frozenset(),
    }
)


class PolicyError(ValueError):
    """A policy that names an unknown verdict or action, or would do something unsafe."""


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib

    choices = list(choices)
    close = [c for c in choices if word and c.startswith(word)]
    close = close or difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate_actions(actions: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Check a verdict -> actions mapping and merge it over the defaults.

    Values may be any iterable of action names (a TOML list). Raises PolicyError with one line that
    names the verdict and the bad value.
    """
    merged = dict(_DEFAULTS)
    for code, names in actions.items():
        if code not in VERDICT_CODES:
            raise PolicyError(
                f"unknown verdict {code!r}{_suggest(str(code), VERDICT_CODES)}; "
                f"known: {', '.join(VERDICT_CODES)}"
            )
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise PolicyError(f"{code}: must be a list of action names, e.g. [\"warn-household\", \"panel\"]")
        chosen: set[str] = set()
        for name in names:
            if name not in ACTION_NAMES:
                raise PolicyError(
                    f"{code}: unknown action {name!r}{_suggest(str(name), ACTION_NAMES)}; "
                    f"known: {', '.join(ACTION_NAMES)}"
                )
            chosen.add(name)
        if code == "allowlisted" and "block" in chosen:
            raise PolicyError("allowlisted: 'block' is refused: the family chose to allow these numbers")
        merged[code] = frozenset(chosen)
    return merged


class Policy:
    """Verdict -> the set of actions to run. Built once at start-up; `actions_for` never raises."""

    def __init__(self, actions: Mapping[str, Iterable[str]] | None = None) -> None:
        self.actions: Mapping[str, frozenset[str]] = MappingProxyType(validate_actions(actions or {}))

    @classmethod
    def from_config(cls, cfg: Any) -> Policy:
        """From a `Config` or its `PolicyConfig` (both carry `.actions`, or `.policy.actions`)."""
        policy_cfg = getattr(cfg, "policy", cfg)
        return cls(policy_cfg.actions)

    def actions_for(self, verdict: Verdict) -> frozenset[str]:
        """What to do for this verdict. A code this version does not know falls back to the engine's
        suggested action (so a newer screening rule still warns rather than doing nothing)."""
        known = self.actions.get(verdict.verdict)
        if known is not None:
            return known
        return _FALLBACK_BY_ENGINE_ACTION.get(verdict.action, frozenset({"warn-household", "panel"}))

    def __repr__(self) -> str:
        body = ", ".join(f"{k}: {sorted(v)}" for k, v in self.actions.items())
        return f"Policy({{{body}}})"


__all__ = ["ACTION_NAMES", "DEFAULT_ACTIONS", "Policy", "PolicyError", "validate_actions"]
