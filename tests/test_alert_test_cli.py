"""`callerid say` and `callerid alert-test` as the installer uses them, with and without a sound card."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from alert_helpers import fake_player, log_lines

from callerid.alert import audio
from callerid.alert.engines import OpenJTalkEngine
from callerid.cli import main
from callerid.model import VERDICT_CODES

needs_open_jtalk = pytest.mark.skipif(OpenJTalkEngine.find()[0] is None, reason="Open JTalk not installed")
NO_CARD = "aplay: main:831: audio open error: No such file or directory"
LINE = re.compile(
    r"^\s+(?P<code>[a-z-]+)\s+(?P<seconds>\d+\.\d\d) s\s+(?P<db>-?\d+\.\d) dBFS\s+(?P<path>\S+\.wav)"
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warning cache for the module: the first alert-test renders, the others reuse it."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def config(tmp_path: Path, cache: Path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[speech]\ncache_dir = "{cache}"\n\n[panel]\nlong_press_seconds = 1.0\n')
    return str(path)


#: Every line alert-test prints: the ten warnings, the three "hung up automatically" ones, a number.
EXPECTED = {*VERDICT_CODES, "police-lookalike-blocked", "blocklisted-blocked", "blocked", "number"}


def _wav_lines(out: str) -> dict[str, re.Match[str]]:
    return {m["code"]: m for m in map(LINE.match, out.splitlines()) if m}


# -- alert-test -------------------------------------------------------------------------------------


@needs_open_jtalk
def test_alert_test_renders_names_and_shows_every_warning(
    config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command, log = fake_player(tmp_path, fail=NO_CARD)  # this machine has no sound card
    monkeypatch.setenv("CALLERID_PLAYER", command[0])
    assert main(["alert-test", "--config", config, "--seconds", "0"]) == 0
    out = capsys.readouterr().out
    lines = _wav_lines(out)
    assert set(lines) == EXPECTED
    for code, match in lines.items():
        path = Path(match["path"])
        assert path.is_file()
        stats = audio.measure(path)
        assert abs(stats.duration - float(match["seconds"])) < 0.01  # the printed length is the real one
        assert 1.5 < stats.duration < 16.0, code
    assert out.count("no sound output") == 1 and "audio open error" in out
    assert len(log_lines(log)) == 1  # it stopped trying after the first failure
    assert out.count("panel: ") == len(VERDICT_CODES)
    for look in ("red=fast blink", "red=slow blink", "amber=blink", "green=steady"):
        assert look in out
    assert out.rstrip().endswith("alert-test: done (rendered, not played)")


@needs_open_jtalk
def test_alert_test_plays_each_warning_once(
    config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command, log = fake_player(tmp_path)
    monkeypatch.setenv("CALLERID_PLAYER", command[0])
    assert main(["alert-test", "--config", config, "--seconds", "0", "--no-lights"]) == 0
    out = capsys.readouterr().out
    played = [line.split(" ", 1)[1] for line in log_lines(log) if line.startswith("end ")]
    assert played == [m["path"] for m in _wav_lines(out).values()]  # every WAV, in the printed order
    assert "panel:" not in out and out.rstrip().endswith("alert-test: done")


def test_alert_test_without_a_japanese_voice_says_so(
    config: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("CALLERID_OPENJTALK", str(tmp_path / "no-open-jtalk"))
    assert main(["alert-test", "--config", config, "--seconds", "0", "--no-sound",
                 "--cache-dir", str(tmp_path / "c")]) == 1
    out = capsys.readouterr().out
    assert out.count("no warning: no Japanese voice") == len(VERDICT_CODES) + 3
    assert out.count("panel: ") == len(VERDICT_CODES)  # the lights still get tested
    assert not list((tmp_path / "c").glob("*.wav"))


def test_alert_test_in_english_as_a_real_process(tmp_path: Path, config: str) -> None:
    command, log = fake_player(tmp_path)
    env = {"CALLERID_PLAYER": command[0], "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "callerid", "alert-test", "--config", config, "--lang", "en", "--seconds", "0",
         "--cache-dir", str(tmp_path / "en")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = _wav_lines(done.stdout)
    assert set(lines) == EXPECTED
    assert all("/en-" in m["path"] for m in lines.values())
    assert len([line for line in log_lines(log) if line.startswith("end ")]) == len(lines)


def test_alert_test_rejects_bad_seconds(capsys: pytest.CaptureFixture[str], config: str) -> None:
    assert main(["alert-test", "--config", config, "--seconds", "-1"]) == 2
    assert "--seconds" in capsys.readouterr().err


# -- say ------------------------------------------------------------------------------------------------


@needs_open_jtalk
def test_say_renders_japanese_to_a_file(tmp_path: Path, config: str, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "hello.wav"
    text = "警察を名乗る電話に注意してください"
    assert main(["say", "--config", config, "--lang", "ja", "--out", str(out), text]) == 0
    stats = audio.measure(out)
    assert stats.rate == 48000 and 1.5 < stats.duration < 6.0
    assert abs(stats.rms_dbfs - audio.TARGET_DBFS) < 1.5
    assert str(out) in capsys.readouterr().out


def test_say_english_words(tmp_path: Path, config: str) -> None:
    out = tmp_path / "en.wav"
    argv = ["say", "--config", config, "--lang", "en", "--out", str(out), "Hello", "from", "callerid"]
    assert main(argv) == 0
    assert 0.8 < audio.measure(out).duration < 4.0


def test_say_plays_through_the_player(tmp_path: Path, config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    command, log = fake_player(tmp_path)
    monkeypatch.setenv("CALLERID_PLAYER", command[0])
    assert main(["say", "--config", config, "--lang", "en", "Testing the speaker"]) == 0
    assert log_lines(log)[0].startswith("start ") and log_lines(log)[0].endswith(".wav")


def test_say_without_a_sound_card_names_the_file(
    tmp_path: Path, config: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command, _ = fake_player(tmp_path, fail=NO_CARD)
    monkeypatch.setenv("CALLERID_PLAYER", command[0])
    assert main(["say", "--config", config, "--lang", "en", "Testing the speaker"]) == 0
    err = capsys.readouterr().err
    assert "no sound output" in err
    assert Path(re.search(r"speech is in (\S+\.wav)", err)[1]).is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lang", "en", "警察です"], "use --lang ja"),
        (["   "], "nothing to say"),
        (["bad\x07bell"], "control characters"),
        (["x" * 1001], "too long"),
        (["--lang", "fr", "bonjour"], "invalid choice"),
    ],
)
def test_say_refuses_bad_input_in_one_line(
    argv: list[str], message: str, config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(["say", "--config", config, *argv])
    except SystemExit as exc:  # argparse's own refusals
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_say_into_an_unwritable_place(config: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "--config", config, "--lang", "en", "--out", "/proc/nope/x.wav", "hello"]) == 2
    assert "cannot write" in capsys.readouterr().err
