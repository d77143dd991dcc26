"""The spoken warning: real Open JTalk and espeak-ng audio, measured; cache; non-blocking playback.

No test needs a sound card: playback goes to a fake player script (or to the real
aplay, which fails here without a card, and that must be harmless).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from alert_helpers import Events, ToneEngine, fake_player, log_lines, record, wait_until

from callerid.alert import AlertSink, audio
from callerid.alert.engines import EngineError, EspeakNgEngine, OpenJTalkEngine, Pyttsx3Engine, find_engine
from callerid.alert.speech import SpeechAlerts
from callerid.alert.warnings import WARNINGS, spoken_number, warning_text
from callerid.config import SpeechConfig
from callerid.model import VERDICT_CODES

OPEN_JTALK, _why = OpenJTalkEngine.find()
needs_open_jtalk = pytest.mark.skipif(OPEN_JTALK is None, reason=f"Open JTalk not installed: {_why}")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

#: Loudness every warning must land in after normalisation (gated RMS, dBFS), and the peak ceiling.
LOUDNESS_BAND = (-21.0, -15.0)
PEAK_MAX = -0.9
#: Every fixed warning, and the "hung up automatically" variants (lookalike, blocklisted, any other).
WARNING_CASES = [(code, False) for code in VERDICT_CODES] + [
    ("police-lookalike", True), ("blocklisted", True), ("international", True)
]
#: What start() renders: 10 warnings, 3 blocked variants, 10 digits, "plus", the intro.
PRERENDERED = len(VERDICT_CODES) + 3 + 12


class Counting:
    """Wraps a real engine and counts (and lists) what it was asked to render."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        self.engine = engine
        self.name = engine.name
        self.language = engine.language
        self.renders = 0
        self.texts: list[str] = []

    def identity(self) -> str:
        return self.engine.identity()

    def render(self, text: str, out_path: Path, rate: float) -> None:
        self.renders += 1
        self.texts.append(text)
        self.engine.render(text, out_path, rate)


@pytest.fixture(scope="module")
def ja_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every Japanese warning rendered once by the real Open JTalk (about 5 s), shared by the tests."""
    if OPEN_JTALK is None:
        pytest.skip(f"Open JTalk not installed: {_why}")
    cache = tmp_path_factory.mktemp("ja-cache")
    ja = Counting(OpenJTalkEngine.find()[0])
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(cache)), engines={"ja": ja, "en": None})
    speech.start()
    assert speech.wait_ready(120)
    # ten warnings, three "hung up automatically" ones, ten digits, "plus", "番号は"
    assert ja.renders == PRERENDERED
    speech.close()
    return cache


@pytest.fixture(scope="module")
def en_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("en-cache")
    engine, why = find_engine("en")
    if engine is None:
        pytest.skip(why)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(cache), language="en"), engines={"en": engine})
    speech.start()
    assert speech.wait_ready(60)
    speech.close()
    return cache


def _speech(cache: Path, tmp_path: Path, language: str = "ja", **kwargs) -> SpeechAlerts:  # noqa: ANN003
    options = {"player_command": fake_player(tmp_path)[0], **kwargs}
    return SpeechAlerts(SpeechConfig(cache_dir=str(cache), language=language), **options)


# -- the audio itself -------------------------------------------------------------------------------


@needs_open_jtalk
@pytest.mark.parametrize(("code", "blocked"), WARNING_CASES)
def test_japanese_warning_length_and_loudness(code: str, blocked: bool, ja_cache: Path,
                                              tmp_path: Path) -> None:
    speech = _speech(ja_cache, tmp_path)
    stats = audio.measure(speech.warning_file(code, blocked=blocked))
    text = warning_text(code, "ja", blocked)
    assert stats.rate == 48000  # Open JTalk's voice, not espeak's 22050 Hz
    # chime (0.8 s) + speech; the longest warning is under 16 s even at the slow rate
    assert 1.5 < stats.duration < 16.0
    # Japanese speech at 0.85x runs at roughly 0.12-0.25 s per written character
    speech_seconds = stats.duration - 1.0
    assert 0.08 < speech_seconds / len(text) < 0.3, (code, stats.duration, len(text))
    assert LOUDNESS_BAND[0] < stats.rms_dbfs < LOUDNESS_BAND[1]
    assert stats.peak_dbfs < PEAK_MAX


@pytest.mark.parametrize(("code", "blocked"), WARNING_CASES)
def test_english_warning_length_and_loudness(code: str, blocked: bool, en_cache: Path,
                                             tmp_path: Path) -> None:
    speech = _speech(en_cache, tmp_path, "en")
    stats = audio.measure(speech.warning_file(code, blocked=blocked))
    words = len(warning_text(code, "en", blocked).split())
    assert 1.5 < stats.duration < 16.0
    # espeak at 149 words a minute: about 0.4 s a word, plus the chime
    assert 0.25 < (stats.duration - 1.0) / words < 0.7, (code, stats.duration, words)
    assert LOUDNESS_BAND[0] < stats.rms_dbfs < LOUDNESS_BAND[1]
    assert stats.peak_dbfs < PEAK_MAX


@needs_open_jtalk
@needs_espeak
def test_japanese_is_spoken_not_spelled_letter_by_letter(ja_cache: Path, tmp_path: Path) -> None:
    """The failure this guards against: espeak-ng says "Chinese letter" for every kanji."""
    text = warning_text("police-lookalike", "ja")
    ours = audio.measure(_speech(ja_cache, tmp_path).warning_file("police-lookalike")).duration
    spelled = tmp_path / "spelled.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "149", "-w", str(spelled), text], check=True)
    assert audio.measure(spelled).duration > 3 * ours


@needs_open_jtalk
@pytest.mark.parametrize("gain", [0.05, 0.3, 1.0, 4.0])
def test_loudness_is_normalised_whatever_level_the_engine_produced(gain: float, tmp_path: Path) -> None:
    raw = tmp_path / "raw.wav"
    OPEN_JTALK.render(warning_text("withheld", "ja"), raw, 0.85)
    samples, rate = audio.read_wav(raw)
    source = samples * gain  # from -46 dBFS (barely audible) to +12 dB (clipping) around the engine's level
    out = audio.normalise(source, rate)
    assert abs(audio.gated_rms_dbfs(out, rate) - audio.TARGET_DBFS) < 1.0
    assert audio.peak_dbfs(out) < PEAK_MAX


def test_volume_setting_scales_loudness(tmp_path: Path) -> None:
    if find_engine("en")[0] is None:
        pytest.skip("no English engine")
    text = "Please be careful with this call."
    full = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "a"), language="en")).render(text, "en")
    quieter = SpeechConfig(cache_dir=str(tmp_path / "b"), language="en", volume=0.5)
    half = SpeechAlerts(quieter).render(text, "en")
    difference = audio.measure(full).rms_dbfs - audio.measure(half).rms_dbfs
    assert 5.0 < difference < 7.0  # 0.5 is -6 dB


@needs_open_jtalk
def test_slower_than_the_engines_default_rate(tmp_path: Path) -> None:
    text = warning_text("withheld", "ja")
    normal = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "a"), rate=1.0)).render(text, "ja")
    slow = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "b"))).render(text, "ja")  # default rate 0.85
    assert audio.measure(slow).duration > 1.1 * audio.measure(normal).duration


# -- engines: Japanese only through Open JTalk -------------------------------------------------------


def test_english_engines_refuse_japanese_text(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    engines = [e for e in (EspeakNgEngine.find()[0], Pyttsx3Engine.find()[0]) if e is not None]
    if not engines:
        pytest.skip("no English engine installed")
    for engine in engines:
        with pytest.raises(EngineError, match="Japanese"):
            engine.render("警察です", out, 0.85)
        assert not out.exists()


@needs_espeak
def test_pyttsx3_fallback_sounds_like_the_espeak_program(tmp_path: Path) -> None:
    """pyttsx3 (libespeak-ng in-process) is the fallback engine: same voice, same lengths, no lost texts."""
    fallback = Pyttsx3Engine.find()[0]
    if fallback is None:
        pytest.skip("pyttsx3 not usable")
    program = EspeakNgEngine.find()[0]
    texts = [en for _, en in WARNINGS.values()] + ["zero", "one", "plus"]
    for i, text in enumerate(texts):
        a, b = tmp_path / f"a{i}.wav", tmp_path / f"b{i}.wav"
        fallback.render(text, a, 0.85)
        program.render(text, b, 0.85)
        da, db = audio.measure(a).duration, audio.measure(b).duration
        assert abs(da - db) < 0.15 * db + 0.1, (text, da, db)


@needs_open_jtalk
def test_japanese_is_never_sent_to_espeak(ja_cache: Path, tmp_path: Path) -> None:
    assert isinstance(find_engine("ja")[0], OpenJTalkEngine)
    espeak = shutil.which("espeak-ng")
    english = Counting(EspeakNgEngine(espeak)) if espeak else ToneEngine("en")
    ja = Counting(OpenJTalkEngine.find()[0])
    events = Events()
    speech = _speech(ja_cache, tmp_path, engines={"ja": ja, "en": english}, on_playback=events)
    speech.start()
    assert speech.wait_ready(60)
    speech.incoming(record("police-number", "0355551234", "03-5555-1234"), frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("finished", "number"), 20)
    assert english.renders == 0
    assert ja.renders == 0  # the digits came from the cache; the number was assembled from them
    speech.close()


def test_no_engine_is_said_once_and_nothing_breaks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    events = Events()
    speech = _speech(tmp_path / "c", tmp_path, engines={"ja": None}, on_playback=events)
    with caplog.at_level(logging.WARNING, logger="callerid.alert"):
        speech.start()
        speech.wait_ready(5)
        for _ in range(3):
            speech.incoming(record("police-lookalike"), frozenset({"warn-household"}))
        assert wait_until(lambda: len(events.of("skipped")) >= 2, 5)
    speech.close()
    missing = [r for r in caplog.records if "no Japanese voice" in r.getMessage()]
    assert len(missing) == 1
    assert "panel" in missing[0].getMessage()
    assert not events.of("started")


# -- the number ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "plus", "groups"),
    [
        ("03-3581-4321", False, ("03", "3581", "4321")),
        ("0335814321", False, ("03", "3581", "4321")),
        ("09012345678", False, ("090", "1234", "5678")),
        ("0120123456", False, ("0120", "123", "456")),
        ("0451234567", False, ("045", "123", "4567")),
        ("+1 202-555-0110", True, ("1", "202", "555", "0110")),
        ("+442079460110", True, ("4420", "7946", "0110")),
        ("０３－３５８１－４３２１", False, ("03", "3581", "4321")),
        ("110", False, ("110",)),
    ],
)
def test_number_groups(display: str, plus: bool, groups: tuple[str, ...]) -> None:
    number = spoken_number(display)
    assert number is not None
    assert number.plus is plus
    assert number.groups == groups


@pytest.mark.parametrize("display", ["", None, "P", "非通知", "ABC--", "\x1b[J\x00"])
def test_no_digits_no_number(display: str | None) -> None:
    assert spoken_number(display) is None


def test_hostile_number_is_capped() -> None:
    number = spoken_number("9" * 500)
    assert number is not None and len(number.digits) == 15


def test_number_words_are_how_people_read_phone_numbers() -> None:
    number = spoken_number("03-3581-4321")
    assert number.words("ja") == "番号は、ゼロサン、サンゴーハチイチ、ヨンサンニーイチ。"
    assert number.words("en") == "The number is, zero three, three five eight one, four three two one."


@needs_open_jtalk
def test_number_wav_is_assembled_in_groups(ja_cache: Path, tmp_path: Path) -> None:
    speech = _speech(ja_cache, tmp_path)
    ten = audio.measure(speech.number_file("03-3581-4321"))
    eleven = audio.measure(speech.number_file("090-1234-5678"))
    assert 3.0 < ten.duration < 9.0  # "番号は" + 10 digits with pauses between the groups
    assert eleven.duration > ten.duration
    assert LOUDNESS_BAND[0] < ten.rms_dbfs < LOUDNESS_BAND[1]


# -- the cache ----------------------------------------------------------------------------------------


@needs_open_jtalk
def test_cache_is_reused_after_a_restart(ja_cache: Path, tmp_path: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in ja_cache.glob("*.wav")}
    engine = Counting(OpenJTalkEngine.find()[0])
    speech = _speech(ja_cache, tmp_path, engines={"ja": engine})
    speech.start()
    assert speech.wait_ready(10)
    assert engine.renders == 0 and speech.engine_runs == 0
    assert {p.name: p.stat().st_mtime_ns for p in ja_cache.glob("*.wav")} == before
    speech.close()


def test_changed_settings_render_again(en_cache: Path, tmp_path: Path) -> None:
    engine = Counting(find_engine("en")[0])
    slower = SpeechAlerts(SpeechConfig(cache_dir=str(en_cache), language="en", rate=0.7),
                          engines={"en": engine}, player_command=["true"])
    slower.start()
    assert slower.wait_ready(60)
    assert engine.renders == PRERENDERED
    slower.close()


class Flaky(ToneEngine):
    """Fails its first render, like an engine killed by the OOM killer once."""

    def render(self, text: str, out_path: Path, rate: float) -> None:
        if self.renders == 0:
            self.renders += 1
            raise EngineError("open_jtalk exited -9")
        super().render(text, out_path, rate)


def test_a_failed_render_is_tried_again_for_the_next_call(tmp_path: Path) -> None:
    speech = _speech(tmp_path / "c", tmp_path, engines={"ja": Flaky("ja")})
    first = speech.renderer.warning("withheld", "ja")
    speech.renderer.start()
    assert first.wait(5) is None and "exited -9" in first.error
    assert speech.warning_file("withheld", 5) is not None
    speech.close()


def test_urgent_call_jumps_the_prerender_queue(tmp_path: Path) -> None:
    engine = ToneEngine("ja", delay=0.05)
    events = Events()
    speech = _speech(tmp_path / "c", tmp_path, engines={"ja": engine}, on_playback=events)
    speech.start()
    speech.incoming(record("payphone", "0355551234"), frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("started", "warning"), 5)
    payphone = warning_text("payphone", "ja")
    assert engine.texts.index(payphone) <= 1  # at most one start-up render ran before it
    assert len(engine.texts) < len(VERDICT_CODES)  # it played before start-up rendering finished
    speech.close()


# -- playback -----------------------------------------------------------------------------------------


@needs_open_jtalk
def test_fixed_warning_plays_first_then_the_number(ja_cache: Path, tmp_path: Path) -> None:
    events = Events()
    command, log = fake_player(tmp_path)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(ja_cache), repeat=False), player_command=command,
                          on_playback=events)
    speech.start()
    speech.incoming(record("police-number", "0355551234", "03-5555-1234"), frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("finished", "number"), 10)
    lines = log_lines(log)
    assert lines[0].startswith("start ") and "ja-police-number-" in lines[0]
    assert any("numbers/ja-number-0355551234-" in line for line in lines[1:])
    assert [e.part for e in events.of("started")] == ["warning", "number"]
    assert all(e.ok for e in events.of("finished"))
    speech.close()


@needs_open_jtalk
def test_incoming_never_blocks_and_the_newest_call_wins(ja_cache: Path, tmp_path: Path) -> None:
    events = Events()
    command, log = fake_player(tmp_path, seconds=30)  # a player that hangs
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(ja_cache)), player_command=command, on_playback=events)
    speech.start()
    first, second = record("police-lookalike", "0355551111"), record("withheld", None, absence="P")

    t0 = time.perf_counter()
    speech.incoming(first, frozenset({"warn-household"}))
    assert time.perf_counter() - t0 < 0.05
    assert wait_until(lambda: events.of("started"), 5)

    t1 = time.monotonic()
    speech.incoming(second, frozenset({"warn-household"}))
    assert time.monotonic() - t1 < 0.05
    assert wait_until(lambda: len(events.of("started")) == 2, 2)
    started_second = events.of("started")[1]
    assert "ja-withheld-" in started_second.path
    assert started_second.at - t1 < 0.5  # it did not wait for the hanging player
    interrupted = [e for e in events.of("finished") if e.detail == "interrupted"]
    assert interrupted and "ja-police-lookalike-" in interrupted[0].path
    assert not any(line.startswith("end ") for line in log_lines(log))  # the slow player was killed
    t2 = time.perf_counter()
    speech.close()
    assert time.perf_counter() - t2 < 3.0


@needs_open_jtalk
def test_repeats_on_each_ring_until_the_call_ends(ja_cache: Path, tmp_path: Path) -> None:
    events = Events()
    command, _ = fake_player(tmp_path, seconds=0.1)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(ja_cache)), player_command=command, on_playback=events,
                          repeat_gap=0.05)
    speech.start()
    call = record("international", "+12025550123", "+1 202-555-0123")
    speech.incoming(call, frozenset({"warn-household"}))
    for _ in range(2):
        time.sleep(0.1)
        speech.ring(call)
    assert wait_until(lambda: len(events.of("started", "warning")) >= 2, 5)
    speech.ended(call)
    time.sleep(0.3)
    count = len(events.of("started"))
    speech.ring(call)  # a late ring after the end must not restart it
    time.sleep(0.5)
    assert len(events.of("started")) == count
    speech.close()


@needs_open_jtalk
def test_a_blocked_call_says_so_once_to_the_end(ja_cache: Path, tmp_path: Path) -> None:
    """The appliance hangs up and ends the call at once; nobody is on the line, so the warning finishes."""
    events = Events()
    command, log = fake_player(tmp_path, seconds=0.3)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(ja_cache)), player_command=command, on_playback=events,
                          repeat_gap=0.01)
    speech.start()
    call = record("police-lookalike", "+8014190110", "+8014190110")
    speech.incoming(call, frozenset({"block", "panel", "warn-household"}))
    speech.ended(call)  # what the appliance does right after hanging up
    speech.ring(call)
    assert wait_until(lambda: events.of("finished", "number"), 5)
    time.sleep(0.3)
    ended = [line for line in log_lines(log) if line.startswith("end ")]
    assert len(ended) == 2 and "ja-police-lookalike-blocked-" in ended[0]  # "自動で切りました", in full
    assert all(e.ok for e in events.of("finished"))
    speech.close()


def test_a_blocked_call_is_silenced_by_the_button(tmp_path: Path) -> None:
    events = Events()
    command, log = fake_player(tmp_path, seconds=30)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "c")), engines={"ja": ToneEngine("ja")},
                          player_command=command, on_playback=events)
    speech.start()
    call = record("blocklisted")
    speech.incoming(call, frozenset({"block", "warn-household"}))
    speech.ended(call)
    assert wait_until(lambda: events.of("started"), 5)
    speech.acknowledge(None)
    assert wait_until(lambda: events.of("finished"), 3)
    assert events.of("finished")[0].detail == "interrupted"
    speech.close()


@needs_open_jtalk
def test_no_repeat_when_configured_off(ja_cache: Path, tmp_path: Path) -> None:
    events = Events()
    command, _ = fake_player(tmp_path)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(ja_cache), repeat=False), player_command=command,
                          on_playback=events, repeat_gap=0.01)
    speech.start()
    call = record("invalid", "12345")
    speech.incoming(call, frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("finished", "number"), 5)
    speech.ring(call)
    speech.ring(call)
    time.sleep(0.4)
    assert len(events.of("started", "warning")) == 1
    speech.close()


def test_calls_the_policy_does_not_warn_about_are_silent(tmp_path: Path) -> None:
    events = Events()
    speech = _speech(tmp_path / "c", tmp_path, engines={"ja": ToneEngine("ja")}, on_playback=events)
    speech.start()
    speech.incoming(record("blocklisted"), frozenset({"block", "panel"}))
    speech.incoming(record("ordinary"), frozenset())
    time.sleep(0.3)
    assert not events.items
    speech.close()


def test_missing_sound_card_is_logged_once_and_is_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = Events()
    command, _ = fake_player(tmp_path, fail="aplay: main:831: audio open error: No such file or directory")
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "c")), engines={"ja": ToneEngine("ja")},
                          player_command=command, on_playback=events)
    with caplog.at_level(logging.INFO, logger="callerid.alert"):
        speech.start()
        for code in ("police-lookalike", "withheld"):
            speech.incoming(record(code), frozenset({"warn-household"}))
            assert wait_until(lambda: any(e.phase == "finished" and not e.ok and e.detail != "interrupted"
                                          for e in events.items[-2:]), 5)
            time.sleep(0.2)
    speech.close()
    said = [r for r in caplog.records if "no sound output" in r.getMessage()]
    assert len(said) == 1 and "audio open error" in said[0].getMessage()
    would = [r.getMessage() for r in caplog.records if r.getMessage().startswith("would have played")]
    assert any("ja-withheld-" in m for m in would)  # the WAV it would have played is named


@pytest.mark.skipif(shutil.which("aplay") is None, reason="aplay not installed")
def test_real_aplay_without_a_sound_card_is_harmless(tmp_path: Path) -> None:
    events = Events()
    settings = SpeechConfig(cache_dir=str(tmp_path / "c"), repeat=False)
    speech = SpeechAlerts(settings, engines={"ja": ToneEngine("ja")}, on_playback=events,
                          player_command=["aplay", "-q"])
    speech.start()
    speech.incoming(record("police-number"), frozenset({"warn-household"}))
    assert wait_until(lambda: len(events.of("finished")) == 2, 10)
    speech.close()  # whether or not this machine has a card, the player finished both parts


def test_missing_player_program(tmp_path: Path) -> None:
    events = Events()
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "c")), engines={"ja": ToneEngine("ja")},
                          on_playback=events, player_command=[str(tmp_path / "no-such-player")])
    speech.start()
    speech.incoming(record("withheld", None, absence="P"), frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("finished"), 5)
    assert "cannot start" in events.of("finished")[0].detail
    speech.close()


def test_player_command_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command, log = fake_player(tmp_path)
    monkeypatch.setenv("CALLERID_PLAYER", command[0])
    events = Events()
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "c")), engines={"ja": ToneEngine("ja")},
                          on_playback=events)
    speech.start()
    speech.incoming(record("payphone", None, absence="C"), frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("finished"), 5)
    assert log_lines(log)[0].startswith("start ")
    speech.close()


# -- contracts ----------------------------------------------------------------------------------------


def test_speech_alerts_is_an_alert_sink(tmp_path: Path) -> None:
    assert isinstance(SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path))), AlertSink)


def test_a_warning_for_every_verdict_in_both_languages() -> None:
    assert set(WARNINGS) == set(VERDICT_CODES)
    for code in VERDICT_CODES:
        for blocked in (False, True):
            assert warning_text(code, "ja", blocked) and warning_text(code, "en", blocked)
            # no Latin letters: Open JTalk would spell them out
            assert not any(ch.isascii() and ch.isalpha() for ch in warning_text(code, "ja", blocked))


def test_works_with_the_real_speech_config(tmp_path: Path) -> None:
    config = pytest.importorskip("callerid.config")
    cfg = config.SpeechConfig(cache_dir=str(tmp_path))
    speech = SpeechAlerts(cfg, engines={"ja": ToneEngine("ja")}, player_command=["true"])
    speech.start()
    assert speech.wait_ready(10)
    assert speech.language == "ja" and speech.repeat
    speech.close()


@needs_open_jtalk
def test_a_known_police_line_is_named_after_the_warning(ja_cache: Path, tmp_path: Path) -> None:
    """Issue 12: "表示は、新宿警察署の番号です" — the household hears which station's number is shown."""
    from callerid.screen.engine import ScreenConfig, screen_display
    from callerid.screen.lists import FamilyLists

    verdict = screen_display("03-3581-4321", FamilyLists.empty(), ScreenConfig())
    assert verdict.verdict == "police-number" and verdict.reasons[0].subject_ja == "警視庁"
    events = Events()
    command, log = fake_player(tmp_path)
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(ja_cache), repeat=False), player_command=command,
                          on_playback=events)
    speech.start()
    base = record("police-number", "0335814321", "03-3581-4321")
    speech.incoming(replace(base, verdict=verdict), frozenset({"warn-household"}))
    assert wait_until(lambda: events.of("finished", "number"), 20)
    assert [e.part for e in events.of("started")] == ["warning", "name", "number"]
    name_wav = events.of("started", "name")[0].path
    stats = audio.measure(name_wav)
    assert 1.0 < stats.duration < 8 and stats.rms_dbfs > -40  # a spoken sentence, not silence
    speech.close()
