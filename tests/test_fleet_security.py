"""The broker side of security: the ACL from docs/fleet.md, loaded as written, and TLS with a local CA."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from callerid.fleet import sharedlist, signing, topics
from callerid.fleet.config import FleetConfig
from callerid.fleet.home import FleetHome
from callerid.fleet.mosquitto import LocalMosquitto, free_port
from callerid.fleet.publisher import publish_list
from callerid.store import Store
from tests.fleet_support import Recorder, needs_mosquitto, wait_until

pytestmark = needs_mosquitto

DOC = Path(__file__).resolve().parent.parent / "docs" / "fleet.md"
USERS = {"home-a": "pw-home-a", "home-b": "pw-home-b", "publisher": "pw-publisher", "family": "pw-family"}


def doc_block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert len(found) == 1, f"docs/fleet.md should hold exactly one ```{language} block"
    return found[0]


def make_pki(folder: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1, made with openssl (no network)."""
    folder.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
    run("req", "-x509", *ec, "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2",
        "-subj", "/CN=somebody else")
    return {"ca": folder / "ca.crt", "server": folder / "server.crt", "server_key": folder / "server.key",
            "other_ca": folder / "other-ca.crt"}


def documented_broker(folder: Path) -> LocalMosquitto:
    """Mosquitto with the docs' listener config and ACL file, on a free port with local certificates."""
    pki = make_pki(folder / "pki")
    passwd = folder / "passwd"
    for index, (user, password) in enumerate(USERS.items()):
        create = ["-c"] if index == 0 else []
        subprocess.run(["mosquitto_passwd", *create, "-b", str(passwd), user, password], check=True)
    acl = folder / "callerid.acl"
    acl.write_text(doc_block("acl"))
    port = free_port()
    paths = {
        "/etc/mosquitto/certs/ca.crt": pki["ca"],
        "/etc/mosquitto/certs/server.crt": pki["server"],
        "/etc/mosquitto/certs/server.key": pki["server_key"],
        "/etc/mosquitto/passwd": passwd,
        "/etc/mosquitto/callerid.acl": acl,
    }
    conf = doc_block("conf").replace("listener 8883", f"listener {port} 127.0.0.1")
    for documented, local in paths.items():
        assert documented in conf
        conf = conf.replace(documented, str(local))
    mosq = LocalMosquitto(folder / "broker", port=port, extra=conf, own_listener=False)
    mosq.pki = pki  # type: ignore[attr-defined]
    return mosq.start()


def tls(ca: Path) -> dict[str, object]:
    return {"ca_certs": str(ca), "cert_reqs": ssl.CERT_REQUIRED}


def home_config(port: int, home: str, ca: Path, trusted: str) -> FleetConfig:
    return FleetConfig(broker=f"mqtts://127.0.0.1:{port}", home=home, username=home, password=USERS[home],
                       ca_file=str(ca), trusted_keys=(trusted,))


def test_a_compromised_home_can_neither_forge_a_list_nor_command_another_home(tmp_path):
    key = SigningKey.generate()
    public = signing.public_key_of(key)
    mosq = documented_broker(tmp_path)
    ca = mosq.pki["ca"]  # type: ignore[attr-defined]
    stores = {h: Store(tmp_path / f"{h}.db") for h in ("home-a", "home-b")}
    homes = {h: FleetHome(home_config(mosq.port, h, ca, public), stores[h]) for h in stores}
    try:
        for home in homes.values():
            home.start()
        assert all(home.wait_ready(10) for home in homes.values())
        # The attacker holds home-a's password and home-a's own signing key.
        attacker = Recorder(mosq.port, username="home-a", password=USERS["home-a"], tls=tls(ca),
                            client_id="attacker")
        forged = sharedlist.build("scams", 99, [{"number": "+81312345678", "verdict": "block", "label": "x"}],
                                  SigningKey.generate())
        attacker.publish(topics.shared_list("scams"), sharedlist.encode(forged), retain=True)
        attacker.publish(topics.command("home-b"), {"allow": "0120555123", "id": "evil"})
        attacker.publish(topics.call("home-b"), {"id": 1, "number": "lies"})
        # The family and the real publisher do the same, with their own logins: these must work,
        # or the refusals above would prove nothing.
        family = Recorder(mosq.port, "callerid/#", username="family", password=USERS["family"], tls=tls(ca))
        family.publish(topics.command("home-b"), {"block": "0120555123", "id": "genuine"})
        publisher_cfg = FleetConfig(username="publisher", password=USERS["publisher"], ca_file=str(ca))
        from callerid.fleet.config import parse_broker

        version = publish_list(publisher_cfg, parse_broker(f"mqtts://127.0.0.1:{mosq.port}"), "scams",
                               [{"number": "+81120999888", "verdict": "block", "label": "real scam"}], key)
        assert version == 1  # the forged version 99 never reached the broker's retained store
        assert wait_until(lambda: all(h.lists.version("scams") == 1 for h in homes.values()), timeout=10)
        result = family.wait_for(lambda t, p, r: t == topics.command_result("home-b"), timeout=10)
        assert result is not None and json.loads(result[1])["id"] == "genuine"
        time.sleep(0.5)  # anything the attacker's messages could still cause would have happened by now
        results = [json.loads(p) for t, p, r in family.messages if t == topics.command_result("home-b")]
        assert [r["id"] for r in results] == ["genuine"]
        assert [e.pattern for e in stores["home-b"].list_entries("block")] == ["+81120555123"]
        assert stores["home-b"].list_entries("allow") == []
        assert not [p for t, p, r in family.messages if t == topics.call("home-b")]
        for store in stores.values():
            assert store.family_lists().blocked("03-1234-5678") is None
            assert store.family_lists().blocked("0120-999-888") is not None
        attacker.close()
        family.close()
    finally:
        for home in homes.values():
            home.close()
        for store in stores.values():
            store.close()
        mosq.stop()


def test_tls_needs_the_right_ca_and_a_login(tmp_path):
    mosq = documented_broker(tmp_path)
    pki = mosq.pki  # type: ignore[attr-defined]
    try:
        ok = Recorder(mosq.port, "callerid/#", username="family", password=USERS["family"],
                      tls=tls(pki["ca"]))
        ok.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            Recorder(mosq.port, username="family", password=USERS["family"], tls=tls(pki["other_ca"]))
        with pytest.raises(AssertionError, match="could not connect"):
            Recorder(mosq.port, username="family", password="wrong", tls=tls(pki["ca"]))
    finally:
        mosq.stop()


def test_a_home_can_log_in_with_a_client_certificate_named_after_it(tmp_path):
    pki = make_pki(tmp_path / "pki")
    folder = pki["ca"].parent

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    for name in ("home-c", "family", "stranger"):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        ca = "other-ca" if name == "stranger" else "ca"
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2")
    acl = tmp_path / "callerid.acl"
    acl.write_text(doc_block("acl"))
    port = free_port()
    conf = (f"listener {port} 127.0.0.1\ncafile {pki['ca']}\ncertfile {pki['server']}\n"
            f"keyfile {pki['server_key']}\nrequire_certificate true\nuse_identity_as_username true\n"
            f"allow_anonymous false\nacl_file {acl}\n")
    mosq = LocalMosquitto(tmp_path / "broker", port=port, extra=conf, own_listener=False).start()
    store = Store(tmp_path / "calls.db")
    try:
        cfg = FleetConfig(broker=f"mqtts://127.0.0.1:{port}", home="home-c", ca_file=str(pki["ca"]),
                          cert_file=str(folder / "home-c.crt"), key_file=str(folder / "home-c.key"))
        home = FleetHome(cfg, store)
        home.start()
        try:
            assert home.wait_ready(10)
            family_tls = {"ca_certs": str(pki["ca"]), "certfile": str(folder / "family.crt"),
                          "keyfile": str(folder / "family.key")}
            family = Recorder(port, "callerid/+/status", tls=family_tls, client_id="family")
            status = family.wait_for(lambda t, p, r: t == "callerid/home-c/status" and b'"online"' in p, 10)
            assert status is not None  # the certificate's name was the login, and the ACL let it write
            family.close()
        finally:
            home.close()
        stranger = {"ca_certs": str(pki["ca"]), "certfile": str(folder / "stranger.crt"),
                    "keyfile": str(folder / "stranger.key")}
        with pytest.raises((ssl.SSLError, OSError, AssertionError)):
            Recorder(port, tls=stranger, client_id="stranger")
    finally:
        store.close()
        mosq.stop()
