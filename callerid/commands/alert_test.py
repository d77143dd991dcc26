"""`callerid alert-test`: play each spoken warning and run each light pattern once.

For the person installing the appliance: every verdict in turn shows its light
pattern (and buzzer) while its warning plays, then a sample number is read out.
Each WAV is named with its length and loudness, so with no sound card (or with
`--no-sound`) the command still proves the warnings render, and says where they are.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

from callerid.alert.audio import measure
from callerid.alert.panel import PanelAlerts
from callerid.alert.speech import SpeechAlerts
from callerid.alert.warnings import spoken_number, warning_label
from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail
from callerid.commands.say import play_file
from callerid.config import Config
from callerid.model import VERDICT_CODES, Absence, Action, CallerID, CallRecord, Verdict, VerdictCode
from callerid.screen.engine import ADVICE_BY_VERDICT

SAMPLE_NUMBER = "03-3581-4321"
#: The "hung up automatically" variants: the two default blocking verdicts and the one for any other.
BLOCKED_SAMPLES = (VerdictCode.POLICE_LOOKALIKE, VerdictCode.BLOCKLISTED, VerdictCode.INTERNATIONAL)
#: Longest wait for one warning (Open JTalk on a Pi Zero 2 W takes a few seconds for the longest).
RENDER_WAIT = 120.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("ja", "en"), default=None,
                        help="language of the warnings (default: the configured speech language)")
    parser.add_argument("--no-sound", action="store_true", help="render and name the WAVs, do not play them")
    parser.add_argument("--no-lights", action="store_true", help="skip the LED panel")
    parser.add_argument("--seconds", type=float, default=3.0, metavar="S",
                        help="how long each light pattern shows when no warning plays (default 3)")
    parser.add_argument("--cache-dir", metavar="DIR", default=None,
                        help="where the rendered warnings go (default: the configured cache)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import fields, is_dataclass, replace

    if not 0 <= args.seconds <= 60:
        raise CommandError("--seconds must be between 0 and 60")
    config = load_config_or_fail(args.config)
    speech_cfg = config.speech
    overrides = {"enabled": True}
    if args.lang:
        overrides["language"] = args.lang
    if args.cache_dir:
        overrides["cache_dir"] = args.cache_dir
    if is_dataclass(speech_cfg):
        names = {f.name for f in fields(speech_cfg)}
        speech_cfg = replace(speech_cfg, **{k: v for k, v in overrides.items() if k in names})
    else:
        speech_cfg = SimpleNamespace(**{**vars(speech_cfg), **overrides})

    speech = SpeechAlerts(speech_cfg)
    speech.renderer.start()
    panel = None if args.no_lights else _open_panel(config)
    sound = not args.no_sound
    failures = 0
    print(f"alert-test: {len(VERDICT_CODES) + len(BLOCKED_SAMPLES)} warnings in {speech.language}, "
          f"cache {speech.cache_dir}")
    try:
        for code in VERDICT_CODES:
            ticket = speech.renderer.warning(code, speech.language)
            path = ticket.wait(RENDER_WAIT)
            if path is None:
                failures += 1
                print(f"  {code:24} no warning: {ticket.error or 'not rendered in time'}")
                _show_lights(panel, code, args.seconds)
                continue
            stats = measure(path)
            print(f"  {code:24} {stats.duration:5.2f} s  {stats.rms_dbfs:6.1f} dBFS  {path}")
            record = _record(code)
            if panel is not None:
                panel.incoming(record, frozenset({Action.PANEL}))
                print(f"  {'':24} panel: {panel.render_text()}")
            started = time.monotonic()
            if sound:
                ok, reason = play_file(path)
                if not ok:
                    print(f"  no sound output ({reason}): rendering only from here on")
                    sound = False
            if panel is not None:
                time.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
                panel.ended(record)
                panel.acknowledge(record)
        for code in BLOCKED_SAMPLES:  # said instead when the policy hangs the call up
            ticket = speech.renderer.warning(code, speech.language, blocked=True)
            path = ticket.wait(RENDER_WAIT)
            label = warning_label(code, blocked=True)
            if path is None:
                failures += 1
                print(f"  {label:24} no warning: {ticket.error or 'not rendered in time'}")
                continue
            stats = measure(path)
            print(f"  {label:24} {stats.duration:5.2f} s  {stats.rms_dbfs:6.1f} dBFS  {path}")
            if sound:
                play_file(path)
        ticket = speech.renderer.number(spoken_number(SAMPLE_NUMBER), speech.language)
        number = ticket.wait(RENDER_WAIT)
        if number is None:
            failures += 1
            why = ticket.error or "not rendered in time"
            print(f"  {'number':24} could not render {SAMPLE_NUMBER}: {why}")
        else:
            stats = measure(number)
            print(f"  {'number':24} {stats.duration:5.2f} s  {stats.rms_dbfs:6.1f} dBFS  {number}"
                  f" ({SAMPLE_NUMBER})")
            if sound:
                play_file(number)
    finally:
        speech.close()
        if panel is not None:
            panel.close()
    if failures:
        print(f"alert-test: {failures} warning(s) could not be rendered (see above)")
        return 1
    print("alert-test: done" + ("" if sound else " (rendered, not played)"))
    return 0


def _open_panel(config: Config):  # noqa: ANN202 - PanelAlerts
    panel = PanelAlerts(config.panel)
    panel.enabled = True
    panel.start()
    return panel


def _show_lights(panel: object, code: str, seconds: float) -> None:
    if panel is None:
        return
    record = _record(code)
    panel.incoming(record, frozenset({Action.PANEL}))  # type: ignore[attr-defined]
    print(f"  {'':24} panel: {panel.render_text()}")  # type: ignore[attr-defined]
    time.sleep(seconds)
    panel.ended(record)  # type: ignore[attr-defined]
    panel.acknowledge(record)  # type: ignore[attr-defined]

#: The absence code that produces each no-number verdict.
_SAMPLE_ABSENCE = {
    VerdictCode.WITHHELD: Absence.WITHHELD,
    VerdictCode.UNAVAILABLE: Absence.OUT_OF_AREA,
    VerdictCode.PAYPHONE: Absence.PAYPHONE,
}


def _record(code: str):  # noqa: ANN202 - CallRecord
    """A made-up call with this verdict, for showing its pattern."""
    absence = _SAMPLE_ABSENCE.get(code)
    number = None if absence else SAMPLE_NUMBER.replace("-", "")
    verdict = Verdict(
        input=number or "P", number=number or "", e164=None, display=SAMPLE_NUMBER if number else "",
        country="JP" if number else None, verdict=code, risk=0,
        action=ADVICE_BY_VERDICT[code],
    )
    caller = CallerID(format="text", number=number, absence=absence)
    return CallRecord(received_at=f"alert-test {code}", caller=caller, verdict=verdict,
                      key=f"alert-test-{code}")
