"""Notifications: the words, apprise to a real SMTP server and a real webhook, the sender's rules.

The sender runs against a real outbox file and a real webhook; only its clocks are injected, so a
flood minute, quiet hours and retry backoff are checked without waiting for them.
"""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from notify_helpers import Hook, Smtp

from callerid.config import Config, ConfigError, parse_config, screen_config
from callerid.model import CallerID, CallRecord
from callerid.notify import message
from callerid.notify.deliver import deliver
from callerid.notify.queue import CallNotifier, queue_health
from callerid.notify.sender import CHANNEL, NotifySender
from callerid.notify.settings import (
    NotifySettings,
    from_config,
    load,
    mask_url,
    next_digest,
    quiet_until,
    save,
)
from callerid.outbox import Outbox
from callerid.screen.engine import screen
from callerid.screen.lists import FamilyLists
from callerid.store import Store

JST = timezone(timedelta(hours=9))


def police_call(number: str = "+8014190110", call_id: int = 12) -> CallRecord:
    verdict = screen(CallerID(format="text", number=number), FamilyLists(allow=[], block=[], region="JP"),
                     screen_config(Config()))
    return CallRecord(received_at="2026-11-30T19:55:04+09:00", caller=CallerID(format="text", number=number),
                      verdict=verdict, actions=("block", "panel", "warn-household"), id=call_id)


class Clock:
    """A monotonic clock and a local wall clock that tests move by hand."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.local = datetime(2026, 11, 30, 12, 0, tzinfo=JST)

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.local += timedelta(seconds=seconds)


# -- the words ------------------------------------------------------------------------------------


def test_a_call_message_says_when_who_what_why_what_was_done_and_where_to_look() -> None:
    item = message.call_item(police_call())
    title, body = message.call_message(item, "ja", "http://callerid.local:8080")
    assert "+8014190110" in title and "警察を装った偽の番号です" in title
    assert "11月30日 19:55" in body
    assert "末尾が0110の不正な形式の国際番号です" in body  # the reason, in Japanese
    assert "自動で切断しました" in body and "音声で家の人に警告しました" in body
    assert "http://callerid.local:8080/calls/12" in body
    title, body = message.call_message(item, "en", None)
    assert "Fake police number" in title and "30 Nov 19:55" in body
    assert "ending in 0110" in body and "hung up automatically" in body
    assert "/calls/" not in body  # no link without the website's address


def test_caller_controlled_text_is_one_clean_bounded_line() -> None:
    item = message.call_item(police_call())
    item["name"] = "EVIL\r\nX-Injected: 1\x1b[31m" + "A" * 500
    _, body = message.call_message(item, "en", None)
    name_line = next(line for line in body.splitlines() if line.startswith("Name:"))
    assert "\r" not in body and "\x1b" not in body and "X-Injected" in name_line
    assert len(name_line) < 60


def test_a_call_without_a_number_says_why() -> None:
    item = message.call_item(police_call())
    item.update(number=None, display="", absence="P")
    title, _ = message.call_message(item, "ja", None)
    assert "非通知" in title


def test_health_messages_explain_the_number_display_contract() -> None:
    on = {"kind": "health", "condition": "no-number", "state": "on", "since": "2026-11-30T09:00:00+09:00",
          "time": "2026-11-30T09:00:00+09:00", "detail": "5 calls in a row without a number"}
    title, body = message.render(on, "ja", "http://x:8080")
    assert "番号が表示されません" in title and "ナンバー・ディスプレイ" in body
    assert "http://x:8080/status" in body
    title, body = message.render(on, "en", None)
    assert "Number Display" in body and "116" in body
    title, body = message.render({**on, "state": "off"}, "en", None)
    assert title.startswith("Call guard: back to normal")


# -- apprise against real receivers ---------------------------------------------------------------


def test_apprise_delivers_to_a_real_smtp_server() -> None:
    item = message.call_item(police_call())
    title, body = message.call_message(item, "ja", "http://callerid.local:8080")
    with Smtp() as smtp:
        result = deliver([smtp.url], title, body)
    assert result.ok, result.detail
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["family@example.com"]
    mail = email.message_from_bytes(envelope.content)
    text = mail.get_payload(decode=True).decode("utf-8")
    subject = str(email.header.make_header(email.header.decode_header(mail["Subject"])))
    assert "警察を装った偽の番号です" in subject and "+8014190110" in text


def test_apprise_delivers_json_to_a_local_webhook() -> None:
    with Hook() as hook:
        result = deliver([hook.url], "title", "body +8014190110")
        assert result.ok and hook.wait(1, 5)
    (_, body), = hook.posts
    assert body["title"] == "title" and body["message"] == "body +8014190110"


def test_a_target_that_is_down_is_a_failure_with_the_url_masked() -> None:
    hook = Hook()  # never started: connection refused
    result = deliver([hook.url + "?token=SECRET123456"], "t", "b")
    assert not result.ok
    assert "SECRET" not in result.detail and "127.0.0.1" not in result.detail


def test_urls_are_masked_to_scheme_and_four_characters() -> None:
    assert mask_url("tgram://123456:ABCDEFsecret/987654") == "tgram://…7654"
    assert mask_url("ntfy://mytopic") == "ntfy://…"
    assert "secret" not in mask_url("mailto://me:secretpass@example.com")


# -- settings -------------------------------------------------------------------------------------


def test_config_section_is_checked_and_the_website_settings_override_it(tmp_path) -> None:
    cfg = parse_config('language = "en"\n[notify]\nurls = ["json://127.0.0.1:9/hook"]\n'
                       'verdicts = ["police-lookalike"]\nquiet_hours = "22:00-7:00"\n')
    settings = from_config(cfg)
    assert settings.urls == ("json://127.0.0.1:9/hook",) and settings.language == "en"
    assert settings.quiet_hours == "22:00-07:00" and settings.link == "http://callerid.local:8080"
    with pytest.raises(ConfigError, match="police-lookalik"):
        parse_config('[notify]\nverdicts = ["police-lookalik"]\n')
    with pytest.raises(ConfigError, match="notify.urls") as err:
        parse_config('[notify]\nurls = ["not a url with secret-token"]\n')
    assert "secret-token" not in str(err.value)
    with Store(tmp_path / "calls.db") as store:
        save(store, urls=["json://127.0.0.1:10/x"], verdicts=["blocklisted"], health=False)
        merged = load(settings, store)
    assert merged.urls == ("json://127.0.0.1:10/x",) and merged.verdicts == ("blocklisted",)
    assert merged.health is False and merged.quiet_hours == "22:00-07:00"


def test_quiet_hours_over_midnight_and_digest_times() -> None:
    at = datetime(2026, 11, 30, 23, 30, tzinfo=JST)
    assert quiet_until("22:00-07:00", at) == datetime(2026, 12, 1, 7, 0, tzinfo=JST)
    assert quiet_until("22:00-07:00", at.replace(hour=6, minute=59)) == at.replace(hour=7, minute=0)
    assert quiet_until("22:00-07:00", at.replace(hour=12)) is None
    assert quiet_until(None, at) is None
    assert next_digest("daily", "08:00", at) == datetime(2026, 12, 1, 8, 0, tzinfo=JST)
    monday = next_digest("weekly", "08:00", at)  # 2026-11-30 is a Monday, 23:30: the next Monday
    assert monday == datetime(2026, 12, 7, 8, 0, tzinfo=JST)
    assert next_digest("off", "08:00", at) is None


# -- the sender -----------------------------------------------------------------------------------


def _sender(tmp_path, hook: Hook, clock: Clock, **changes) -> NotifySender:
    settings = NotifySettings(urls=(hook.url,), link="http://callerid.local:8080", retry_first_seconds=1.0,
                              retry_max_seconds=4.0, **changes)
    outbox = Outbox(tmp_path / "calls.db", clock=lambda: clock.mono)
    return NotifySender(outbox, settings, local_now=lambda: clock.local, monotonic=lambda: clock.mono)


def test_only_the_chosen_verdicts_are_queued_once_per_call(tmp_path) -> None:
    clock = Clock()
    with Hook() as hook:
        sender = _sender(tmp_path, hook, clock)
        notifier = CallNotifier(sender)
        assert notifier(police_call(call_id=1)) == ("notify",)
        assert notifier(police_call(call_id=1)) == ("notify",)  # the same call again: one key, stored once
        ordinary = replace(police_call(call_id=2), verdict=replace(police_call().verdict, verdict="ordinary"))
        assert notifier(ordinary) == ()
        assert notifier(replace(ordinary, id=3), frozenset({"notify"})) == ("notify",)  # the policy asked
        sender.step()
        assert hook.wait(1, 5)
    assert len(hook.posts) == 1 and sender.outbox.pending(CHANNEL) == 0  # both due at once: one summary
    assert hook.messages()[0].startswith("警告の着信が2件")


def test_twenty_calls_in_a_minute_are_the_first_at_once_then_one_summary(tmp_path) -> None:
    clock = Clock()
    with Hook() as hook:
        sender = _sender(tmp_path, hook, clock)
        notifier = CallNotifier(sender)
        notifier(police_call("+8014190110", call_id=1))
        sender.step()
        assert hook.wait(1, 5)
        for n in range(2, 21):
            clock.advance(2.5)
            notifier(police_call(f"+8014{n:02d}0110", call_id=n))
            held = sender.step()
            assert 0 < held <= 60
        assert len(hook.posts) == 1  # the rest waits for the minute to end
        clock.advance(60)
        sender.step()
        assert hook.wait(2, 5)
    assert len(hook.posts) == 2
    summary = hook.messages()[1]
    assert "19" in summary.splitlines()[0]
    assert "+8014020110" in summary and "ほか9件" in summary  # ten listed, the rest counted
    assert sender.outbox.pending(CHANNEL) == 0


def test_a_backlog_after_an_outage_is_one_summary(tmp_path) -> None:
    clock = Clock()
    with Hook() as hook:
        sender = _sender(tmp_path, hook, clock)
        for n in range(1, 6):
            CallNotifier(sender)(police_call(f"+8014{n:02d}0110", call_id=n))
        sender.step()
        assert hook.wait(1, 5)
    assert len(hook.posts) == 1 and "5" in hook.messages()[0].splitlines()[0]


def test_quiet_hours_hold_messages_until_they_end(tmp_path) -> None:
    clock = Clock()
    clock.local = datetime(2026, 11, 30, 23, 0, tzinfo=JST)
    with Hook() as hook:
        sender = _sender(tmp_path, hook, clock, quiet_hours="22:00-07:00")
        CallNotifier(sender)(police_call(call_id=1))
        wait = sender.step()
        assert wait == pytest.approx(8 * 3600)
        assert not hook.wait(1, 0.5)
        clock.advance(8 * 3600)
        sender.step()
        assert hook.wait(1, 5)


def test_a_failed_delivery_is_retried_with_backoff_and_arrives_once(tmp_path) -> None:
    clock = Clock()
    hook = Hook()
    sender = _sender(tmp_path, hook, clock)
    CallNotifier(sender)(police_call(call_id=1))
    assert sender.step() == pytest.approx(1.0)  # down: first retry after retry_first_seconds
    clock.advance(1.0)
    assert sender.step() == pytest.approx(2.0)  # doubling
    clock.advance(2.0)
    assert sender.step() == pytest.approx(4.0)
    clock.advance(4.0)
    assert sender.step() == pytest.approx(4.0)  # capped at retry_max_seconds
    with hook:
        clock.advance(4.0)
        sender.step()
        assert hook.wait(1, 5)
        clock.advance(100)
        sender.step()
        assert not hook.wait(2, 0.5)
    assert len(hook.posts) == 1 and sender.outbox.pending(CHANNEL) == 0


def test_a_target_that_accepted_is_not_sent_it_again_when_another_fails(tmp_path) -> None:
    clock = Clock()
    down = Hook()
    with Hook() as up:
        sender = _sender(tmp_path, up, clock)
        sender._base = replace(sender._base, urls=(up.url, down.url))
        sender.refresh()
        CallNotifier(sender)(police_call(call_id=1))
        sender.step()
        assert up.wait(1, 5)
        with down:
            clock.advance(2)
            sender.step()
            assert down.wait(1, 5)
    assert len(up.posts) == 1 and len(down.posts) == 1


def test_health_changes_are_queued_once_per_episode(tmp_path) -> None:
    clock = Clock()
    with Hook() as hook:
        sender = _sender(tmp_path, hook, clock)
        assert queue_health(sender, "modem", True, 1_700_000_000.0, "lost: no modem found")
        assert not queue_health(sender, "modem", True, 1_700_000_000.0, "again")
        assert queue_health(sender, "modem", False, 1_700_000_000.0, "")
        sender.step()
        assert hook.wait(2, 5)
    titles = [m.splitlines()[0] for m in hook.messages()]
    assert titles == ["電話見守り: 異常: モデムが見つからないか、応答しません",
                      "電話見守り: 復旧: モデムが見つからないか、応答しません"]


def test_the_digest_counts_the_day(tmp_path) -> None:
    clock = Clock()
    clock.local = datetime(2026, 11, 30, 7, 59, 30, tzinfo=JST)
    store = Store(tmp_path / "calls.db")
    for n in range(3):
        store.add_call(replace(police_call(call_id=None), received_at=f"2026-11-29T1{n}:00:00+09:00"))
    with Hook() as hook:
        sender = _sender(tmp_path, hook, clock, digest="daily", digest_time="08:00")
        sender._store = store
        sender.step()
        clock.advance(31)
        sender.step()  # queues the digest
        sender.step()
        assert hook.wait(1, 5)
    text = hook.messages()[0]
    assert "着信3件" in text and "拒否3件" in text and "正常" in text
    store.close()
