"""Signed shared lists: who may publish, which version wins, and how they reach screening."""

from __future__ import annotations

import json

import pytest
from nacl.signing import SigningKey

from callerid.fleet import sharedlist, signing
from callerid.fleet.config import parse_broker
from callerid.fleet.listdb import SharedListDB
from callerid.model import CallerID
from callerid.screen.engine import ScreenConfig, screen
from callerid.store import Store

SCAM = "+81120555123"  # what the shared list blocks
ENTRIES = [{"number": SCAM, "verdict": "block", "label": "fake bank refund"},
           {"number": "+44*", "verdict": "block", "label": ""}]


def _key() -> tuple[SigningKey, bytes]:
    key = SigningKey.generate()
    return key, bytes(key.verify_key)


def _payload(key: SigningKey, version: int = 1, name: str = "scams", entries=ENTRIES) -> bytes:
    return sharedlist.encode(sharedlist.build(name, version, entries, key))


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "calls.db")
    yield store
    store.close()


def test_keygen_writes_a_private_key_only_we_can_read_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "publisher.key"
    public = signing.generate_key(out)
    assert (out.stat().st_mode & 0o777) == 0o600
    assert (tmp_path / "publisher.key.pub").read_text().strip() == public
    assert signing.parse_public_key(public) == bytes(signing.load_signing_key(out).verify_key)
    with pytest.raises(FileExistsError):
        signing.generate_key(out)
    (tmp_path / "junk").write_text("hello")
    with pytest.raises(ValueError, match="not a key"):
        signing.load_signing_key(tmp_path / "junk")


def test_a_trusted_newer_list_is_applied_and_older_same_or_foreign_ones_are_refused(store):
    key, public = _key()
    other, _ = _key()
    lists = SharedListDB(store.path)
    assert lists.offer(_payload(key, 2), "scams", [public], "JP").applied
    assert lists.version("scams") == 2
    same = lists.offer(_payload(key, 2), "scams", [public], "JP")
    older = lists.offer(_payload(key, 1), "scams", [public], "JP")
    foreign = lists.offer(_payload(other, 9), "scams", [public], "JP")
    assert not same.applied and "already held" in same.reason
    assert not older.applied and "older" in older.reason
    assert not foreign.applied and "does not trust" in foreign.reason
    assert lists.version("scams") == 2
    assert lists.offer(_payload(key, 3, entries=ENTRIES[:1]), "scams", [public], "JP").applied
    assert [e.pattern for e in lists.entries()] == [SCAM]
    lists.close()


@pytest.mark.parametrize("tamper", ["unsigned", "changed-entry", "bumped-version", "key-swapped",
                                    "wrong-topic", "not-json", "bad-signature"])
def test_forged_or_damaged_lists_are_refused(store, tamper):
    key, public = _key()
    other, _ = _key()
    document = sharedlist.build("scams", 5, ENTRIES, key)
    topic_name = "scams"
    if tamper == "unsigned":
        del document["signature"]
    elif tamper == "changed-entry":
        document["entries"][0]["number"] = "+81312345678"
    elif tamper == "bumped-version":
        document["version"] = 6
    elif tamper == "key-swapped":  # claims the trusted key but was signed by another
        forged = sharedlist.build("scams", 5, ENTRIES, other)
        document["signature"] = forged["signature"]
    elif tamper == "wrong-topic":
        topic_name = "other-list"
    elif tamper == "bad-signature":
        document["signature"] = "!!!"
    payload = b"{not json" if tamper == "not-json" else json.dumps(document).encode()
    lists = SharedListDB(store.path)
    outcome = lists.offer(payload, topic_name, [public], "JP")
    assert not outcome.applied and outcome.reason
    assert lists.entries() == []
    lists.close()


def test_unreadable_entries_are_skipped_not_fatal(store):
    key, public = _key()
    entries = [*ENTRIES, {"number": "hello", "verdict": "block"}, {"number": SCAM, "verdict": "explode"}, 7]
    lists = SharedListDB(store.path)
    outcome = lists.offer(_payload(key, entries=entries), "scams", [public], "JP")
    assert outcome.applied and outcome.entries == 2
    lists.close()


def test_a_shared_entry_blocks_but_never_beats_the_familys_own_lists(store):
    key, public = _key()
    config = ScreenConfig(region="JP")
    before = screen(CallerID("text", number="0120555123"), store.family_lists(), config)
    assert before.verdict == "ordinary"
    lists = SharedListDB(store.path)
    lists.offer(_payload(key), "scams", [public], "JP")
    blocked = screen(CallerID("text", number="0120-555-123"), store.family_lists(), config)
    assert blocked.verdict == "blocklisted" and blocked.action == "block"
    assert "shared list scams: fake bank refund" in blocked.reasons[0].detail
    abroad = screen(CallerID("text", number="+442071234567"), store.family_lists(), config)
    assert abroad.verdict == "blocklisted"  # the prefix entry
    store.add_list_entry("allow", "0120555123", "our bank, really")
    trusted = screen(CallerID("text", number="0120555123"), store.family_lists(), config)
    assert trusted.verdict == "allowlisted"
    store.add_list_entry("block", "0120555123", "family says no")
    store.remove_list_entry("allow", "0120555123")
    own = screen(CallerID("text", number="0120555123"), store.family_lists(), config)
    assert own.verdict == "blocklisted" and "family says no" in own.reasons[0].detail
    lists.close()


def test_csv_for_publishing_is_normalised_and_bad_lines_are_named():
    entries = sharedlist.read_csv("number,verdict,label\n0120-555-123,block,refund\n+44*\n", "JP")
    assert entries == [{"number": SCAM, "verdict": "block", "label": "refund"},
                       {"number": "+44*", "verdict": "block", "label": ""}]
    with pytest.raises(ValueError, match="line 2"):
        sharedlist.read_csv("0120555123\nnot a number\n", "JP")
    with pytest.raises(ValueError, match="verdict"):
        sharedlist.read_csv("0120555123,allow\n", "JP")


def test_broker_addresses():
    assert parse_broker("mqtt://127.0.0.1").port == 1883
    assert parse_broker("mqtts://broker.example:8884").tls
    for bad in ("http://x", "mqtt://", "mqtt://u:p@host", "mqtt://host:99999", "mqtt://host/path"):
        with pytest.raises(ValueError):
            parse_broker(bad)


def test_the_lists_page_shows_shared_entries_as_shared_list_name(tmp_path):
    from tests.web_support import web_site

    key, public = _key()
    with web_site(tmp_path, logged_in=True) as site:
        client, store = site.client, site.store
        lists = SharedListDB(store.path)
        hostile = [{"number": SCAM, "verdict": "block", "label": "<b>refund</b>"}]
        lists.offer(_payload(key, name="kanto-scams", entries=hostile), "kanto-scams", [public], "JP")
        html = client.get("/lists").get_data(as_text=True)
        assert "shared list kanto-scams" in html and "0120-555-123" in html
        assert "&lt;b&gt;refund&lt;/b&gt;" in html and "<b>refund" not in html
        lists.close()


@pytest.mark.parametrize("text, message", [
    ('[fleet]\nbroker = "mqtt://x"', "fleet.home: is required"),
    ('[fleet]\nbroker = "mqtt://x"\nhome = "shared"', "reserved"),
    ('[fleet]\nbroker = "mqtt://x"\nhome = "a"\nca_file = "config.toml"', "needs TLS"),
    ('[fleet]\nbroker = "mqtts://x"\nhome = "a"\ncert_file = "config.toml"', "both cert_file and key_file"),
    ('[fleet]\npassword = "x"', "without fleet.username"),
    ('[fleet]\nkeepalive = 1', "5 to 3600"),
    ('[fleet]\ntrusted_keys = "abc"', "list of public keys"),
    ('[fleet]\ndiscovery_prefix = "home/#"', "plain topic prefix"),
    ('[fleet]\nbrokr = "mqtt://x"', "did you mean 'broker'"),
])
def test_fleet_config_mistakes_are_one_line_naming_the_key(tmp_path, text, message):
    from callerid.config import ConfigError, load_config

    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_fleet_config_with_tls_files_relative_to_the_config(tmp_path):
    from callerid.config import load_config

    (tmp_path / "ca.crt").write_text("x")
    path = tmp_path / "config.toml"
    public = signing.public_key_of(SigningKey.generate())
    path.write_text(f'[fleet]\nbroker = "mqtts://broker"\nhome = "sato"\nca_file = "ca.crt"\n'
                    f'trusted_keys = ["{public}"]\n')
    fleet = load_config(path).fleet
    assert fleet.active and fleet.address.port == 8883 and fleet.ca_file == str(tmp_path / "ca.crt")
    assert fleet.trusted_key_bytes() == (signing.parse_public_key(public),)
