"""`callerid say [--lang ja|en] [--out FILE.wav] TEXT`: speak or render a sentence with the configured voice.

The same engines, rate, volume and loudness normalisation as the appliance's
warnings, so the family can try a wording or check the speaker. Japanese goes
to Open JTalk only; asking for English with Japanese text is refused (espeak-ng
would spell the kanji out letter by letter).
"""

from __future__ import annotations

import argparse
import sys

from callerid.alert.audio import measure
from callerid.alert.engines import EngineError, contains_japanese
from callerid.alert.player import player_command
from callerid.alert.speech import SpeechAlerts
from callerid.cli import CommandError
from callerid.commands._common import load_config_or_fail

#: Longer than any warning; a runaway paste would take minutes to render on a Pi Zero.
MAX_CHARS = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="what to say")
    parser.add_argument("--lang", choices=("ja", "en"), default=None,
                        help="language (default: the configured speech language)")
    parser.add_argument("--out", metavar="FILE.wav", default=None,
                        help="write the speech to this WAV file instead of playing it")


def run(args: argparse.Namespace) -> int:
    text = " ".join(" ".join(args.text).split())
    if not text:
        raise CommandError("nothing to say")
    if len(text) > MAX_CHARS:
        raise CommandError(f"text too long ({len(text)} characters; at most {MAX_CHARS})")
    if not all(ch.isprintable() for ch in text):
        raise CommandError("the text contains control characters")
    config = load_config_or_fail(args.config)
    lang = args.lang or config.speech.language
    if lang == "en" and contains_japanese(text):
        raise CommandError("this text is Japanese: use --lang ja (espeak-ng cannot read Japanese)")

    speech = SpeechAlerts(config.speech)
    try:
        path = speech.render(text, lang, args.out)
    except EngineError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot write {args.out or speech.cache_dir}: {exc.strerror or exc}") from None
    finally:
        speech.close()

    stats = measure(path)
    if args.out is not None:
        print(f"{path}: {stats.duration:.2f} s, {stats.rms_dbfs:.1f} dBFS")
        return 0
    ok, reason = play_file(path)
    if not ok:
        print(f"no sound output ({reason}); the speech is in {path} ({stats.duration:.2f} s)",
              file=sys.stderr)
    return 0


def play_file(path: object, command: list[str] | None = None) -> tuple[bool, str]:
    """Play one WAV to the end with the appliance's player; (False, why) when it cannot."""
    import subprocess

    cmd = player_command(command)
    try:
        done = subprocess.run([*cmd, str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{cmd[0]}: {exc}"
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return False, f"{cmd[0]} exited {done.returncode}" + (f": {lines[-1]}" if lines else "")
    return True, ""
