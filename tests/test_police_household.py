"""Trust that cannot be turned against the household, and the household's own police numbers (issue 12).

Real parts: the appliance over a pty with the simulated modem, a real SQLite file, the real website,
the real command line in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from callerid.appliance import ApplianceHooks, build_runtime
from callerid.model import CallerID, CallRecord, ListKind
from callerid.modem.driver import RING_GAP_SECONDS
from callerid.modem.sim import SimCall, SimulatedModem
from callerid.store import Store
from tests.test_appliance import Recorder, quiet_config
from tests.web_support import make_record, page_csrf, web_site

SCALE = 0.05


def run_calls(tmp_path: Path, db: Path, callers: list[CallerID], prepare=None) -> list[CallRecord]:  # noqa: ANN001
    """Start the appliance on `db`, optionally `prepare(runtime)`, place each call, return the log."""
    handled = threading.Semaphore(0)
    with SimulatedModem("conexant", time_scale=SCALE) as sim:
        runtime = build_runtime(
            quiet_config(tmp_path), port=sim.port, db_path=str(db), extra_sinks=[Recorder()],
            hooks=ApplianceHooks(on_call=lambda record, timings: handled.release()),
            ring_gap_seconds=RING_GAP_SECONDS * SCALE,
        )
        runtime.appliance.start()
        worker = threading.Thread(target=runtime.appliance.run, daemon=True)
        worker.start()
        try:
            deadline = time.monotonic() + 5
            while runtime.appliance.modem_state != "ready" and time.monotonic() < deadline:
                time.sleep(0.02)
            if prepare is not None:
                prepare(runtime)
            for caller in callers:
                sim.play_call(SimCall(caller=caller, rings=2))
                assert handled.acquire(timeout=10), f"the appliance did not handle {caller}"
        finally:
            runtime.appliance.stop()
            worker.join(5)
            runtime.close()
    with Store(db) as store:
        return list(reversed(store.calls()))


def test_an_old_allow_entry_over_the_tokyo_hq_still_warns_over_the_line(tmp_path: Path) -> None:
    """A database from before the rule trusts 03-3581-4321: a spoofed call from it is still warned."""
    db = tmp_path / "calls.db"
    with Store(db) as store:  # the store itself keeps what older versions wrote
        store.add_list_entry(ListKind.ALLOW, "03-3581-4321", "keishicho")
        store.add_list_entry(ListKind.ALLOW, "03-1234-5678", "daughter")
    callers = [CallerID("text", number="0335814321"), CallerID("text", number="0312345678")]
    logged = run_calls(tmp_path, db, callers)
    police, daughter = logged
    assert police.verdict.verdict == "police-number" and police.verdict.flagged
    assert "allow-ignored-for-police" in [r.code for r in police.verdict.reasons]
    assert daughter.verdict.verdict == "allowlisted"


def test_a_station_the_household_added_is_warned_about_by_name(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    number = CallerID("text", number="0453211111")  # an ordinary number until the family adds it
    before = run_calls(tmp_path, db, [number])
    assert before[0].verdict.verdict == "ordinary"

    def add_station(runtime) -> None:  # noqa: ANN001 - the website's path: the store, then a reload
        runtime.store.add_police_number("045-321-1111", "テスト警察署")
        runtime.appliance.reload_lists()

    after = run_calls(tmp_path, db, [number], prepare=add_station)
    call = after[-1]
    assert call.verdict.verdict == "police-number"
    assert "テスト警察署" in call.verdict.reasons[0].detail_ja


@pytest.mark.parametrize("pattern", ["03-3581-4321", "03-3581-*"])
def test_the_command_line_refuses_to_trust_police(tmp_path: Path, pattern: str) -> None:
    db = tmp_path / "calls.db"
    done = subprocess.run(
        [sys.executable, "-m", "callerid", "list", "allow", "add", pattern, "--db", str(db)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "police" in done.stderr and "03-3581-4321" in done.stderr
    with Store(db) as store:
        assert store.list_entries(ListKind.ALLOW) == []


def test_csv_import_refuses_police_allow_lines(tmp_path: Path) -> None:
    db = tmp_path / "calls.db"
    csv_file = tmp_path / "lists.csv"
    csv_file.write_text("kind,pattern,label\nallow,0312345678,daughter\nallow,03-3346-0110,station\n")
    done = subprocess.run(
        [sys.executable, "-m", "callerid", "list", "allow", "import", str(csv_file), "--db", str(db)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0 and "nothing was imported" in done.stderr
    with Store(db) as store:
        assert store.list_entries(ListKind.ALLOW) == []


def test_the_website_refuses_trust_marks_old_entries_and_keeps_police_numbers(tmp_path: Path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        site.store.add_list_entry(ListKind.ALLOW, "03-3346-0110", "old entry")  # from before the rule
        token = page_csrf(site.client, "/lists")
        page = site.client.post(
            "/lists/add", data={"kind": "allow", "pattern": "03-3581-4321", "csrf_token": token},
            follow_redirects=True,
        ).get_data(as_text=True)
        assert "was not added to the trusted list" in page
        assert [e.pattern for e in site.store.list_entries(ListKind.ALLOW)] == ["+81333460110"]
        assert "ignored for police calls" in page

        page = site.client.post(
            "/lists/police/add",
            data={"number": "045-321-1111", "name": "<b>テスト警察署</b>", "csrf_token": token},
            follow_redirects=True,
        ).get_data(as_text=True)
        assert "045-321-1111" in page and "&lt;b&gt;テスト警察署" in page and "<b>テスト" not in page
        assert [p.number for p in site.store.police_numbers()] == ["0453211111"]
        bad = site.client.post(
            "/lists/police/add", data={"number": "12", "name": "x", "csrf_token": token},
            follow_redirects=True,
        ).get_data(as_text=True)
        assert "cannot be added" in bad
        site.client.post("/lists/police/remove", data={"number": "0453211111", "csrf_token": token})
        assert site.store.police_numbers() == []


def test_a_police_call_page_offers_no_trust_button(tmp_path: Path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        police = site.store.add_call(make_record(number="0335814321", code="police-number", action="warn"))
        ordinary = site.store.add_call(make_record(number="0312345678", code="ordinary", action="none"))
        police_page = site.client.get(f"/calls/{police}").get_data(as_text=True)
        ordinary_page = site.client.get(f"/calls/{ordinary}").get_data(as_text=True)
        assert 'value="allow"' not in police_page and "cannot be trusted" in police_page
        assert 'value="allow"' in ordinary_page
