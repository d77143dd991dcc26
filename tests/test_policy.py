"""Verdict -> actions: the safe defaults, overrides, and what the policy refuses."""

from __future__ import annotations

import pytest

from callerid.model import VERDICT_CODES, Verdict
from callerid.policy import ACTION_NAMES, DEFAULT_ACTIONS, Policy, PolicyError


def verdict(code: str, action: str = "warn") -> Verdict:
    return Verdict("0335814321", "0335814321", "+81335814321", "03-3581-4321", "JP", code, 50, action, ())


def test_every_verdict_code_has_a_default() -> None:
    assert set(DEFAULT_ACTIONS) == set(VERDICT_CODES)
    assert all(set(actions) <= set(ACTION_NAMES) for actions in DEFAULT_ACTIONS.values())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("police-number", {"warn-household", "panel"}),  # may be real police: never block
        ("police-lookalike", {"warn-household", "panel", "block"}),
        ("blocklisted", {"block", "panel"}),
        ("international", {"warn-household", "panel"}),
        ("withheld", {"warn-household", "panel"}),
        ("unavailable", {"warn-household", "panel"}),
        ("payphone", {"warn-household", "panel"}),
        ("invalid", {"panel"}),
        ("allowlisted", {"panel"}),
        ("ordinary", set()),
    ],
)
def test_safe_defaults(code: str, expected: set[str]) -> None:
    assert Policy().actions_for(verdict(code)) == frozenset(expected)


def test_override_one_verdict_keeps_the_others() -> None:
    policy = Policy({"withheld": ["panel"], "police-number": ("warn-household", "panel", "notify")})
    assert policy.actions_for(verdict("withheld")) == {"panel"}
    assert policy.actions_for(verdict("police-number")) == {"warn-household", "panel", "notify"}
    assert policy.actions_for(verdict("police-lookalike")) == DEFAULT_ACTIONS["police-lookalike"]


def test_empty_list_turns_a_verdict_off() -> None:
    assert Policy({"international": []}).actions_for(verdict("international")) == frozenset()


def test_blocking_allowlisted_is_refused() -> None:
    with pytest.raises(PolicyError, match="allowlisted: 'block' is refused"):
        Policy({"allowlisted": ["panel", "block"]})


def test_unknown_verdict_and_action_are_refused_with_a_suggestion() -> None:
    with pytest.raises(PolicyError, match="unknown verdict 'police_number'.*did you mean 'police-number'"):
        Policy({"police_number": ["panel"]})
    with pytest.raises(PolicyError, match="withheld: unknown action 'warn'.*did you mean"):
        Policy({"withheld": ["warn"]})
    with pytest.raises(PolicyError, match="must be a list"):
        Policy({"withheld": "panel"})


def test_a_verdict_code_from_a_newer_engine_still_warns() -> None:
    policy = Policy()
    assert policy.actions_for(verdict("future-scam", "block")) == {"warn-household", "panel", "block"}
    assert policy.actions_for(verdict("future-scam", "warn")) == {"warn-household", "panel"}
    assert policy.actions_for(verdict("future-scam", "none")) == frozenset()
    assert policy.actions_for(verdict("future-scam", "???")) == {"warn-household", "panel"}


def test_from_config_takes_a_config_or_its_policy_section() -> None:
    from callerid.config import parse_config

    cfg = parse_config('[policy]\nwithheld = ["panel"]\n')
    assert Policy.from_config(cfg).actions_for(verdict("withheld")) == {"panel"}
    assert Policy.from_config(cfg.policy).actions_for(verdict("withheld")) == {"panel"}


def test_policy_cannot_be_changed_after_start() -> None:
    policy = Policy()
    with pytest.raises(TypeError):
        policy.actions["ordinary"] = frozenset({"block"})  # type: ignore[index]
