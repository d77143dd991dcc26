"""gpiozero's mock pins for an appliance that runs for months on a machine with no GPIO.

The stock MockPin records every change of state (`pin.states`) so that tests can check what a pin
did. That record is never trimmed: on an appliance running off the Pi it grows by about 300 bytes a
call (the soak's whole memory slope). The appliance's mock pins keep the last HISTORY changes, so the
panel still shows what it did lately, and memory stays flat. Tests that inspect a pin's whole history
build a stock MockFactory themselves. gpiozero is imported only when mock pins are wanted.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any

#: Changes a bounded mock pin remembers: a call's flashes and beeps, several times over.
HISTORY = 64


@functools.cache
def bounded_mock_pin() -> type:
    """MockPin whose record of changes is a ring of the last HISTORY."""
    from gpiozero.pins.mock import MockPin

    class BoundedMockPin(MockPin):
        def clear_states(self) -> None:
            super().clear_states()
            self.states = deque(self.states, maxlen=HISTORY)

    return BoundedMockPin


def appliance_mock_factory() -> Any:
    """The mock pin factory the appliance itself runs on when there are no GPIO pins."""
    from gpiozero.pins.mock import MockFactory

    return MockFactory(pin_class=bounded_mock_pin())
