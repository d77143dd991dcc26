"""Recordings (issue 18): the announcement's audio, FLAC files and their rules, the call page.

Real parts: the configured voices (Open JTalk, espeak-ng) render the announcement and we measure
it; recordings are written with libsndfile and read back; retention and the size cap run against a
real SQLite file with a fake clock and a fake free-space figure; the call page is the real Flask app.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile

from callerid.alert.speech import SpeechAlerts
from callerid.config import SpeechConfig
from callerid.model import Action
from callerid.recording.announcement import (
    BEEP_HZ,
    BEEP_SECONDS,
    LEAD_SECONDS,
    build_announcement,
    render_announcement,
)
from callerid.recording.storage import RecordingStorage, recordings_folder
from callerid.store import Store
from callerid.wavfile import read_wav, write_wav
from tests.web_support import login, make_record, web_site

DAY = 86400.0
MB = 2**20


def dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x**2)))


# ---- the announcement --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_announcement_is_a_beep_then_the_sentence_at_a_modest_level(tmp_path: Path, lang: str) -> None:
    speech = SpeechAlerts(SpeechConfig(cache_dir=str(tmp_path / "speech")))
    renders: list[str] = []

    def render(text: str, language: str) -> Path:
        renders.append(text)
        return speech.render(text, language)

    path = render_announcement(render, lang, tmp_path / "speech", level_dbfs=-20.0)
    audio, rate = read_wav(path)
    seconds = len(audio) / rate
    assert 2.0 < seconds < 9.0, seconds  # a short sentence, not a speech
    lead, beep_end = int(LEAD_SECONDS * rate), int((LEAD_SECONDS + BEEP_SECONDS) * rate)
    assert np.max(np.abs(audio[: lead - 10])) < 1e-3  # quiet before the beep
    beep = audio[lead + int(0.02 * rate) : beep_end - int(0.02 * rate)]
    spectrum = np.abs(np.fft.rfft(beep))
    assert abs(np.argmax(spectrum) * rate / len(beep) - BEEP_HZ) < 10  # the beep is 1 kHz
    sentence = audio[beep_end + int(0.3 * rate) :]
    voiced = sentence[np.abs(sentence) > 0]
    assert -21.5 < dbfs(voiced) < -17.0  # modest: about -20 dBFS RMS
    assert np.max(np.abs(audio)) <= 10 ** (-3 / 20) + 1e-3  # peaks under -3 dBFS
    # Cached like the warnings: asked again, nothing is rendered.
    assert render_announcement(render, lang, tmp_path / "speech", level_dbfs=-20.0) == path
    assert len(renders) == 1


def test_a_silent_rendering_is_refused(tmp_path: Path) -> None:
    silent = write_wav(tmp_path / "silent.wav", np.zeros(8000), 8000)
    with pytest.raises(ValueError, match="silent"):
        build_announcement(silent, tmp_path / "out.wav")


# ---- storage: FLAC, retention, size cap, free space ----------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


def u8_speech(seconds: float, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    audio = rng.normal(0, 0.08, int(8000 * seconds))
    return np.clip(np.round(audio * 128 + 128), 0, 255).astype(np.uint8).tobytes()


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    s = Store(tmp_path / "calls.db")
    yield s
    s.close()


def add_call(store: Store) -> int:
    return store.add_call(make_record(number=None, absence="P", code="withheld", action="warn"))


def test_a_recording_is_lossless_flac_of_the_right_length_linked_to_its_call(
    tmp_path: Path, store: Store
) -> None:
    storage = RecordingStorage(store, tmp_path / "rec", clock=Clock())
    call_id = add_call(store)
    raw = u8_speech(5.0)
    rec = storage.save(call_id, raw, encoding="u8", rate=8000, ended_by="busy")
    assert rec is not None and rec.seconds == 5.0 and rec.ended_by == "busy"
    path = storage.path_of(rec)
    info = soundfile.info(str(path))
    assert info.format == "FLAC" and info.samplerate == 8000 and info.frames == 40000
    decoded, _ = soundfile.read(str(path), dtype="int16")
    assert np.array_equal((decoded >> 8) + 128, np.frombuffer(raw, np.uint8))  # bit for bit what was heard
    assert path.stat().st_size < len(raw) * 2 * 0.8  # smaller than the 16-bit WAV it would be
    assert store.recording_for_call(call_id) == rec
    assert [p.name for p in (tmp_path / "rec").iterdir()] == [rec.file]  # no temporary file left


def test_retention_deletes_recordings_older_than_the_period(tmp_path: Path, store: Store) -> None:
    clock = Clock()
    storage = RecordingStorage(store, tmp_path / "rec", retention_days=30, clock=clock)
    old = storage.save(add_call(store), u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
    clock.now += 20 * DAY
    young = storage.save(add_call(store), u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
    clock.now += 10 * DAY + 60  # the first is 30 days and a minute old, the second 10 days
    assert storage.enforce() == 1
    assert [r.id for r in store.recordings()] == [young.id]
    assert not storage.path_of(old).exists() and storage.path_of(young).exists()


def test_the_size_cap_deletes_the_oldest_first(tmp_path: Path, store: Store) -> None:
    clock = Clock()
    probe = RecordingStorage(store, tmp_path / "probe", clock=clock)
    one = probe.save(add_call(store), u8_speech(2), encoding="u8", rate=8000, ended_by="quiet")
    size = one.bytes
    store.delete_recording(one.id)
    storage = RecordingStorage(store, tmp_path / "rec", max_total_bytes=int(size * 2.5), clock=clock)
    saved = []
    for seed in range(4):
        clock.now += 60
        raw = u8_speech(2, seed)
        saved.append(storage.save(add_call(store), raw, encoding="u8", rate=8000, ended_by="quiet"))
    kept = store.recordings()
    assert [r.id for r in kept] == [saved[2].id, saved[3].id]  # the two newest fit under the cap
    assert storage.total_bytes() <= size * 2.5
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == sorted(r.file for r in kept)


def test_a_recording_never_fills_the_disk(tmp_path: Path, store: Store) -> None:
    free = {"bytes": 300 * MB}
    storage = RecordingStorage(store, tmp_path / "rec", min_free_bytes=200 * MB, clock=Clock(),
                               free_bytes=lambda path: free["bytes"])
    first = storage.save(add_call(store), u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
    assert first is not None
    free["bytes"] = 150 * MB  # something else filled the disk: deleting our recordings cannot help enough
    assert storage.save(add_call(store), u8_speech(1), encoding="u8", rate=8000, ended_by="busy") is None
    assert store.recordings() == []  # the old one went trying to make room, and the new one was dropped
    assert list((tmp_path / "rec").iterdir()) == []


def test_deleting_a_call_deletes_its_recording(tmp_path: Path, store: Store) -> None:
    storage = RecordingStorage(store, tmp_path / "rec", clock=Clock())
    call_id = add_call(store)
    rec = storage.save(call_id, u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
    assert store.delete_call(call_id)
    assert store.recording_for_call(call_id) is None  # the row went with the call (migration 4)
    assert storage.sweep() == 1 and not storage.path_of(rec).exists()


def test_pruning_old_calls_takes_their_recordings_too(tmp_path: Path, store: Store) -> None:
    storage = RecordingStorage(store, tmp_path / "rec", clock=Clock())
    call_id = add_call(store)
    rec = storage.save(call_id, u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
    assert store.prune(1, now=datetime.now(UTC) + timedelta(days=3)) == 1
    storage.enforce()
    assert store.recordings() == [] and not storage.path_of(rec).exists()


# ---- the call page -------------------------------------------------------------------------------


def test_the_call_page_plays_the_recording_and_offers_a_download(tmp_path: Path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        call_id = site.store.add_call(make_record(number=None, absence="P", code="withheld", action="warn",
                                                  actions=(Action.RECORD,)))
        folder = recordings_folder(site.config, str(site.store.path))
        storage = RecordingStorage(site.store, folder)
        rec = storage.save(call_id, u8_speech(65), encoding="u8", rate=8000, ended_by="busy")
        page = site.client.get(f"/calls/{call_id}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert re.search(rf'<audio controls preload="metadata" src="/calls/{call_id}/recording.flac">', html)
        assert f'href="/calls/{call_id}/recording.flac?download=1" download' in html
        assert "1:05" in html and "the caller hung up" in html
        assert "the caller was told" in html  # the page says plainly that the caller was told
        assert "media-src 'self'" in page.headers["Content-Security-Policy"]
        assert "<script" not in html
        audio = site.client.get(f"/calls/{call_id}/recording.flac")
        assert audio.status_code == 200 and audio.mimetype == "audio/flac"
        assert audio.data == storage.path_of(rec).read_bytes()
        ranged = site.client.get(f"/calls/{call_id}/recording.flac", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and len(ranged.data) == 100  # the browser can seek
        download = site.client.get(f"/calls/{call_id}/recording.flac?download=1")
        assert "attachment" in download.headers["Content-Disposition"]
        # Every call page says calls are recorded and the caller is told.
        other = site.client.get(f"/calls/{site.store.add_call(make_record())}").get_data(as_text=True)
        assert "the caller first hears that the call is being recorded" in other
        # Deleted with its call.
        site.store.delete_call(call_id)
        assert site.client.get(f"/calls/{call_id}/recording.flac").status_code == 404


def test_deleting_a_call_on_its_page_deletes_the_recording_file(tmp_path: Path) -> None:
    with web_site(tmp_path, logged_in=True) as site:
        call_id = site.store.add_call(make_record(number=None, absence="P", code="withheld", action="warn"))
        storage = RecordingStorage(site.store, recordings_folder(site.config, str(site.store.path)))
        rec = storage.save(call_id, u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
        page = site.client.get(f"/calls/{call_id}").get_data(as_text=True)
        assert f'action="/calls/{call_id}/delete"' in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert site.client.post(f"/calls/{call_id}/delete").status_code in (400, 403)  # no CSRF token
        assert storage.path_of(rec).exists()
        done = site.client.post(f"/calls/{call_id}/delete", data={"csrf_token": token})
        assert done.status_code == 302 and done.headers["Location"].endswith("/calls")
        assert site.store.get_call(call_id) is None and site.store.recording_for_call(call_id) is None
        assert not storage.path_of(rec).exists()
        assert site.client.post(f"/calls/{call_id}/delete", data={"csrf_token": token}).status_code == 404


def test_a_call_without_a_recording_has_no_player_and_strangers_get_nothing(tmp_path: Path) -> None:
    with web_site(tmp_path) as site:
        call_id = site.store.add_call(make_record())
        folder = recordings_folder(site.config, str(site.store.path))
        storage = RecordingStorage(site.store, folder)
        storage.save(call_id, u8_speech(1), encoding="u8", rate=8000, ended_by="busy")
        assert site.client.get(f"/calls/{call_id}/recording.flac").status_code == 302  # to the login page
        login(site.client)
        other = site.store.add_call(make_record())
        assert "<audio" not in site.client.get(f"/calls/{other}").get_data(as_text=True)
        assert site.client.get(f"/calls/{other}/recording.flac").status_code == 404
        assert site.client.get("/calls/99999/recording.flac").status_code == 404
