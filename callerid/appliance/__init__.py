"""The running appliance: the one owner of a call's life.

- `loop`: the event loop (`Appliance`): modem events in, screening, the plan, the sinks, the log.
- `call`: the call that is ringing now (a repeated caller ID, or a new call).
- `plan`: verdict's actions -> driver commands and household actions (pure).
- `household`: the button's meaning, decided once (acknowledge; block the last flagged caller).
- `assembly`: `build_runtime(config)`, everything `callerid run` and `callerid demo` start.
"""

from __future__ import annotations

from callerid.appliance.assembly import Runtime, build_runtime
from callerid.appliance.loop import Appliance, ApplianceHooks, CallListener, Timings

__all__ = ["Appliance", "ApplianceHooks", "CallListener", "Runtime", "Timings", "build_runtime"]
