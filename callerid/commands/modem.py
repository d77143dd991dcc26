"""`callerid modem probe [--port DEV]`: find the modem, identify it, and show what it accepts.

The first thing to run when a new modem is plugged in: it lists the serial ports found, asks each
modem ATI/ATI3, names the profile that matched, and tries every caller-ID command so the family
(or whoever helps them) can see why caller ID does or does not appear.
"""

from __future__ import annotations

import argparse
import json

from callerid.cli import CommandError, add_common_options
from callerid.commands._common import load_config_or_fail
from callerid.modem.discovery import find_ports
from callerid.modem.probe import ModemError, probe
from callerid.modem.profiles import PROFILES, country_code_for


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    probe = sub.add_parser("probe", help="identify the modem and the caller-ID commands it takes",
                           description="identify the modem and the caller-ID commands it takes")

    add_common_options(probe)  # every command takes --config, sub-commands included
    probe.add_argument("--port", metavar="DEV", default=None,
                       help="serial device to probe (default: the configured port, else every port found)")
    probe.add_argument("--profile", choices=["auto", *PROFILES], default=None,
                       help="modem profile (default: the configured one, else auto-detect)")
    probe.add_argument("--country", metavar="T35", default=None,
                       help="T.35 country code for AT+GCI (default: from the configured region; JP is 00)")
    probe.add_argument("--timeout", type=float, default=3.0, metavar="S",
                       help="seconds to wait for each answer (default 3)")
    probe.add_argument("--json", action="store_true", help="one JSON object per modem found")
    probe.add_argument("--discovery-root", default="/", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) != "probe":
        raise CommandError("say what to do: `callerid modem probe [--port DEV]`")
    port, profile, country = _settings(args)
    return _probe(args, port, profile, country)


def _settings(args: argparse.Namespace) -> tuple[str, str, str | None]:
    """Port, profile and country code: command line first, then the configuration, then defaults."""
    port, profile, country, region = "auto", "auto", None, "JP"
    cfg = load_config_or_fail(args.config)
    port, profile, country, region = cfg.modem.port, cfg.modem.profile, cfg.modem.country_code, cfg.region
    port = args.port or port
    profile = args.profile or profile
    country = args.country or country or country_code_for(region)
    return port, profile, country


def _probe(args: argparse.Namespace, port: str, profile: str, country: str | None) -> int:
    candidates = find_ports(args.discovery_root)
    if not args.json:
        print("Ports found:" if candidates else "Ports found: none")
        for candidate in candidates:
            print(f"  {candidate.describe()}")
    targets = [port] if port != "auto" else [c.path for c in candidates]
    if not targets:
        raise CommandError("no modem found: no serial ports in /dev/serial/by-id, /dev/ttyACM*, /dev/ttyUSB*"
                           " (is the USB modem plugged in?)")
    failures: list[str] = []
    found = 0
    for target in targets:
        try:
            info = probe(target, profile=profile, country_code=country, timeout=args.timeout,
                         discovery_root=args.discovery_root)
        except ModemError as exc:
            failures.append(str(exc))
            if not args.json and len(targets) > 1:
                print(f"\n{target}: no modem answered ({exc})")
            continue
        found += 1
        if args.json:
            print(json.dumps(_as_json(info), ensure_ascii=False))
        else:
            _print_info(info)
    if not found:
        raise CommandError(f"no modem answered on {', '.join(targets)}: {failures[-1]}")
    return 0


def _print_info(info) -> None:  # noqa: ANN001 - ModemInfo
    print(f"\n{info.port}")
    for command, lines in info.identity:
        print(f"  AT{command:<4} {' | '.join(lines) if lines else '(no answer text)'}")
    usb = f" [{info.usb_id[0]:04x}:{info.usb_id[1]:04x}]" if info.usb_id else ""
    print(f"  profile   {info.profile}: {info.profile_title}{usb} (matched by {info.matched_by})")
    if info.country_code:
        state = {True: "OK", False: "ERROR", None: "not sent"}[info.country_accepted]
        print(f"  country   {info.country_code}: {state}")
    tried = ", ".join(f"AT{cmd} {result}" for cmd, result in info.caller_id_results)
    print(f"  caller ID {tried or 'nothing tried'}")
    print(f"  enabled   {'AT' + info.caller_id_command if info.caller_id_command else 'none (RING only)'}")
    print(f"  voice     AT{info.voice_format}")
    for note in info.notes:
        print(f"  note      {note}")


def _as_json(info) -> dict:  # noqa: ANN001 - ModemInfo
    return {
        "port": info.port,
        "profile": info.profile,
        "profile_title": info.profile_title,
        "matched_by": info.matched_by,
        "usb_id": f"{info.usb_id[0]:04x}:{info.usb_id[1]:04x}" if info.usb_id else None,
        "identity": {f"AT{cmd}": list(lines) for cmd, lines in info.identity},
        "country_code": info.country_code,
        "country_accepted": info.country_accepted,
        "caller_id": {f"AT{cmd}": result for cmd, result in info.caller_id_results},
        "caller_id_enabled": f"AT{info.caller_id_command}" if info.caller_id_command else None,
        "voice_format": f"AT{info.voice_format}",
        "notes": list(info.notes),
    }
