"""What to do about one screened call, decided before anything runs: a pure function.

The policy says which actions a verdict asks for; the plan says who carries them out and when:
the driver hangs up at once (or, when a rendered caller warning exists, answers after the call is
logged, plays it and then hangs up), the alert sinks warn the household. The log records only what
was started, so the plan also says which actions the driver's commands stand for.
"""

from __future__ import annotations

from dataclasses import dataclass

from callerid.model import Action

#: The actions the alert sinks carry out (each sink reports which of them it started).
HOUSEHOLD_ACTIONS = frozenset({Action.WARN_HOUSEHOLD, Action.PANEL})


@dataclass(frozen=True)
class Plan:
    """One call's plan."""

    requested: frozenset[Action]  # everything the policy asked for
    hang_up: bool  # drop the call at once, before anything else
    warn_caller: bool  # after logging: answer, play the caller warning, hang up
    household: frozenset[Action]  # asked of the alert sinks
    record: bool = False  # after logging: join the call if the household answers (issue 18)

    @property
    def driver_actions(self) -> frozenset[Action]:
        """The actions the driver's commands carry out (started when the command is queued)."""
        if self.warn_caller:  # the playback ends by hanging up: a blocked call is blocked by it
            return frozenset({Action.WARN_CALLER}) | (self.requested & {Action.BLOCK})
        return frozenset({Action.BLOCK}) if self.hang_up else frozenset()

    @property
    def unmet_caller_warning(self) -> bool:
        """The policy asked to warn the caller but no warning is rendered (yet)."""
        return Action.WARN_CALLER in self.requested and not self.warn_caller


def plan_actions(
    requested: frozenset[Action], *, caller_warning_ready: bool, announcement_ready: bool = False
) -> Plan:
    """The plan for the actions a policy asked for. A call that will hear the caller warning is
    answered by that playback instead of a bare hang-up; without a rendered warning it is only
    hung up (when the policy blocks it) or left to ring. A call that is hung up or answered by the
    appliance is never joined for recording; without a rendered announcement it is not either
    (nobody is recorded without being told)."""
    warn_caller = Action.WARN_CALLER in requested and caller_warning_ready
    return Plan(
        requested=frozenset(requested),
        hang_up=Action.BLOCK in requested and not warn_caller,
        warn_caller=warn_caller,
        household=frozenset(requested) & HOUSEHOLD_ACTIONS,
        record=(Action.RECORD in requested and announcement_ready and Action.BLOCK not in requested
                and not warn_caller),
    )


__all__ = ["HOUSEHOLD_ACTIONS", "Plan", "plan_actions"]
