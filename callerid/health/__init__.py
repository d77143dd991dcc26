"""The appliance watching itself: when protection is off, say so loudly, and say when it is back.

`detector.HealthDetector` is a pure state machine (events and `now` in, changes out, no I/O, no
clock), so every threshold is tested without waiting. `watch.HealthWatch` is the glue: one thread
that feeds it, checks the disk, and turns each change into a WARNING journal line, the website's
red banner (the `health.active` setting, read by any process), the panel's fault pattern, the OLED
text, and a family notification. `conditions` holds the words.
"""
