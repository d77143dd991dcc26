"""gpiozero's mock pins for an appliance that runs for months on a machine with no GPIO.

The stock MockPin records every change of state (`pin.states`) so that tests can check what a pin
did. That record is never trimmed: on an appliance running off the Pi it grows by about 300 bytes a
call (the soak's whole memory slope). BoundedMockPin keeps the last HISTORY changes, so the panel
still shows what it did lately, and memory stays flat. Tests that inspect a pin's whole history build
a stock MockFactory themselves.
"""

from __future__ import annotations

from collections import deque

from gpiozero.pins.mock import MockFactory, MockPin

#: Changes a bounded mock pin remembers: a call's flashes and beeps, several times over.
HISTORY = 64


class BoundedMockPin(MockPin):
    """A MockPin whose record of changes is a ring of the last HISTORY."""

    def clear_states(self) -> None:
        super().clear_states()
        self.states = deque(self.states, maxlen=HISTORY)


def appliance_mock_factory() -> MockFactory:
    """The mock pin factory the appliance itself runs on when there are no GPIO pins."""
    return MockFactory(pin_class=BoundedMockPin)
