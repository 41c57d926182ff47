"""The clip providers: the local renderer makes real MP4s, and the Pollo client against a fake Pollo server.

No database: providers only write files into the work folder they are given.
"""

import socket
import subprocess
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from clips.providers import ClipGenerationFailed, GeneratedClip, ServiceUnavailable, get_provider, media
from clips.providers.local import LocalClipProvider, render_text_card
from clips.providers.pollo import PolloClipProvider, read_task
from directorstudio.errors import DomainError
from tests.fake_pollo import FakePollo, sample_mp4

HOSTILE_PROMPT = (
    "He said \"don't\" -- 'quoted' \\back\\slashes\\ C:\\path: a:b;c, %{pts} %{localtime} %{eif:1:d} "
    "[in]drawtext=text='x':fontfile=/etc/passwd[out]; $(rm -rf /) `id` ${HOME} -y -i /dev/zero "
    "emoji 🎬🎥👩‍🚀🏳️‍🌈 RTL עברית العربية CJK 映画の場面 combining e\u0301 zero\u200bwidth "
    "tab\there newline\nthere escape\x1b[31m bell\x07 lone surrogate \ud800 "
) + "long " * 1000


def assert_playable(path, *, seconds: float) -> media.VideoInfo:
    """ffmpeg decodes the whole file without a single error, and it is an H.264 16:9 fast-start MP4."""
    result = subprocess.run(
        [media.ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    info = media.probe(path)
    assert (info.codec, info.pixel_format) == ("h264", "yuv420p")
    assert info.is_16_9, (info.width, info.height)
    assert info.duration_seconds == pytest.approx(seconds, abs=0.15)
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"
    assert 0 < data.find(b"moov") < data.find(b"mdat"), "moov atom must come first (+faststart)"
    return info


def assert_poster(path, size: tuple[int, int]) -> None:
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == size


# --- choosing a provider ---------------------------------------------------------------------------


def test_local_is_the_default_provider(settings):
    del settings.CLIP_PROVIDER
    assert isinstance(get_provider(), LocalClipProvider)
    settings.CLIP_PROVIDER = "local"
    assert isinstance(get_provider(), LocalClipProvider)


def test_pollo_provider_from_settings(settings):
    settings.CLIP_PROVIDER = "Pollo"
    settings.POLLO_API_KEY = "k"
    settings.POLLO_BASE_URL = "https://pollo.example/"
    settings.POLLO_MODEL = "kling-ai/kling-v2"
    settings.POLLO_TIMEOUT_SECONDS = 42
    provider = get_provider()
    assert isinstance(provider, PolloClipProvider)
    assert (provider.base_url, provider.model, provider.timeout) == ("https://pollo.example", "kling-ai/kling-v2", 42)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"CLIP_PROVIDER": "sora"}, "CLIP_PROVIDER"),
        ({"CLIP_PROVIDER": "pollo", "POLLO_API_KEY": ""}, "POLLO_API_KEY"),
        ({"CLIP_PROVIDER": "pollo", "POLLO_API_KEY": "k", "POLLO_MODEL": "pollo-v1-6"}, "POLLO_MODEL"),
    ],
)
def test_misconfiguration_is_reported(settings, changes, message):
    for name, value in changes.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        get_provider()


def test_errors_are_domain_errors():
    assert issubclass(ClipGenerationFailed, DomainError)
    assert ClipGenerationFailed().code == "clip_generation_failed"
    assert issubclass(ServiceUnavailable, DomainError)


# --- the local provider ----------------------------------------------------------------------------


def test_local_provider_renders_a_playable_clip_and_poster(tmp_path):
    started = time.monotonic()
    clip = LocalClipProvider().generate(
        prompt="INT. KITCHEN - NIGHT. Maya opens the fridge; its light spills across the floor.",
        seconds=4,
        workdir=tmp_path / "job",
    )
    elapsed = time.monotonic() - started
    assert isinstance(clip, GeneratedClip)
    assert clip.video_path.parent == tmp_path / "job"
    info = assert_playable(clip.video_path, seconds=4)
    assert (info.width, info.height) == (1280, 720)
    assert clip.duration_seconds == pytest.approx(4, abs=0.15)
    assert_poster(clip.poster_path, (1280, 720))
    assert sorted(p.name for p in (tmp_path / "job").iterdir()) == ["clip.mp4", "poster.jpg"]
    print(f"local 4 s clip rendered in {elapsed:.2f} s")
    assert elapsed < 20


def test_local_provider_renders_a_hostile_prompt(tmp_path):
    assert len(HOSTILE_PROMPT) > 5000
    clip = LocalClipProvider().generate(prompt=HOSTILE_PROMPT, seconds=2, workdir=tmp_path)
    assert_playable(clip.video_path, seconds=2)
    assert_poster(clip.poster_path, (1280, 720))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "poster.jpg"]


@pytest.mark.parametrize("prompt", ["", "   \n\t", "x" * 3000, "🎬" * 50], ids=["empty", "blank", "long", "emoji"])
def test_text_card_draws_something_for_any_prompt(tmp_path, prompt):
    render_text_card(prompt, tmp_path / "card.png")
    with Image.open(tmp_path / "card.png") as card:
        assert card.size == (1280, 720)
        assert card.getchannel("A").getbbox() is not None  # some pixels are drawn


@pytest.mark.parametrize("seconds", [0, 61])
def test_local_provider_refuses_silly_lengths(tmp_path, seconds):
    with pytest.raises(ValueError, match="seconds"):
        LocalClipProvider().generate(prompt="x", seconds=seconds, workdir=tmp_path)


# --- the Pollo provider ----------------------------------------------------------------------------


@pytest.fixture
def fake_pollo():
    with FakePollo() as fake:
        yield fake


@pytest.fixture
def pollo_settings(settings, fake_pollo):
    settings.CLIP_PROVIDER = "pollo"
    settings.POLLO_API_KEY = fake_pollo.api_key
    settings.POLLO_BASE_URL = fake_pollo.base_url
    settings.POLLO_MODEL = "pollo/pollo-v1-6"
    settings.POLLO_POLL_INTERVAL_SECONDS = 0.02
    settings.POLLO_TIMEOUT_SECONDS = 5
    settings.POLLO_MAX_RETRIES = 3
    return settings


def make_pollo(**overrides) -> PolloClipProvider:
    """The provider from the settings, with test-sized backoff."""
    return PolloClipProvider.from_settings(**{"backoff_base": 0.01, "backoff_max": 0.05, **overrides})


@pytest.mark.parametrize("shape", ["docs", "flat"])
def test_pollo_makes_a_clip(pollo_settings, fake_pollo, tmp_path, shape):
    fake_pollo.shape = shape
    fake_pollo.polls_until_done = 3
    clip = get_provider().generate(prompt="A red kite over the dunes", seconds=4, workdir=tmp_path)

    info = assert_playable(clip.video_path, seconds=1)
    assert (info.width, info.height) == (640, 360)
    assert clip.duration_seconds == pytest.approx(1, abs=0.15)
    assert_poster(clip.poster_path, (640, 360))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "poster.jpg"]

    [submit] = fake_pollo.calls("POST", "/api/platform/generation/")
    assert submit.path == "/api/platform/generation/pollo/pollo-v1-6"
    assert submit.headers["x-api-key"] == fake_pollo.api_key
    assert submit.body == {"input": {"prompt": "A red kite over the dunes", "length": 4, "aspectRatio": "16:9"}}
    [task] = fake_pollo.tasks.values()
    assert len(fake_pollo.calls("GET", f"/api/platform/task/{task.id}")) == 3
    [download] = fake_pollo.calls("GET", "/files/")
    assert "x-api-key" not in download.headers  # the key goes to the API only, never to the file host


@pytest.mark.parametrize("statuses", [[503], [429, 502], [500, 503, 504]])
def test_pollo_retries_transient_answers(pollo_settings, fake_pollo, tmp_path, statuses):
    fake_pollo.fail_next = list(statuses)
    clip = make_pollo().generate(prompt="retry me", seconds=4, workdir=tmp_path)
    assert clip.video_path.exists()
    assert len(fake_pollo.calls("POST", "/api/platform/generation/")) == len(statuses) + 1


def test_pollo_retries_transient_failures_of_every_call(pollo_settings, fake_pollo, tmp_path):
    fake_pollo.polls_until_done = 2

    provider = make_pollo()
    original = provider._request

    def flaky_request(api, method, path, **kwargs):
        fake_pollo.fail_next.append(503)
        return original(api, method, path, **kwargs)

    provider._request = flaky_request
    clip = provider.generate(prompt="flaky", seconds=4, workdir=tmp_path)
    assert clip.video_path.exists()
    # Every submit and poll was answered 503 once first, then succeeded on the retry.
    # submit: 2 requests, two polls: 2 each, download: 1 (the file host is not the API).
    assert len(fake_pollo.requests) == 2 + 2 * 2 + 1


def test_pollo_gives_up_after_max_retries(pollo_settings, fake_pollo, tmp_path):
    fake_pollo.fail_next = [503] * 10
    with pytest.raises(ServiceUnavailable):
        make_pollo(max_retries=2).generate(prompt="down", seconds=4, workdir=tmp_path)
    assert len(fake_pollo.requests) == 3


def test_pollo_retries_a_hanging_response(pollo_settings, fake_pollo, tmp_path):
    fake_pollo.hang_next = 1
    started = time.monotonic()
    clip = make_pollo(http_timeout=0.3).generate(prompt="hang once", seconds=4, workdir=tmp_path)
    assert clip.video_path.exists()
    assert time.monotonic() - started < 4
    assert len(fake_pollo.calls("POST", "/api/platform/generation/")) == 2


def test_pollo_hanging_service_is_unavailable_within_the_timeout(pollo_settings, fake_pollo, tmp_path):
    pollo_settings.POLLO_TIMEOUT_SECONDS = 0.8
    fake_pollo.hang_next = 100
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        make_pollo().generate(prompt="hang forever", seconds=4, workdir=tmp_path)
    assert time.monotonic() - started < 3


def test_pollo_unreachable_is_unavailable(pollo_settings, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pollo_settings.POLLO_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(ServiceUnavailable):
        make_pollo(max_retries=2).generate(prompt="nobody home", seconds=4, workdir=tmp_path)


@pytest.mark.parametrize("shape", ["docs", "flat"])
def test_pollo_failed_task_fails_the_clip_with_its_reason(pollo_settings, fake_pollo, tmp_path, shape):
    fake_pollo.shape = shape
    fake_pollo.outcome = "fail"
    with pytest.raises(ClipGenerationFailed, match="flagged by content moderation") as failure:
        make_pollo().generate(prompt="something forbidden", seconds=4, workdir=tmp_path)
    assert failure.value.code == "clip_generation_failed"
    assert failure.value.message.startswith("The video service could not make this clip")


def test_pollo_slow_task_is_unavailable_after_the_timeout(pollo_settings, fake_pollo, tmp_path):
    pollo_settings.POLLO_TIMEOUT_SECONDS = 0.5
    pollo_settings.POLLO_POLL_INTERVAL_SECONDS = 0.05
    fake_pollo.outcome = "never"
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="taking too long"):
        make_pollo().generate(prompt="slow", seconds=4, workdir=tmp_path)
    assert 0.3 < time.monotonic() - started < 2
    assert len(fake_pollo.calls("GET", "/api/platform/task/")) > 3


def test_pollo_bad_api_key_fails_without_retrying(pollo_settings, fake_pollo, tmp_path):
    pollo_settings.POLLO_API_KEY = "wrong-key"
    with pytest.raises(ClipGenerationFailed, match="API key"):
        make_pollo().generate(prompt="who am I", seconds=4, workdir=tmp_path)
    assert len(fake_pollo.requests) == 1


def test_pollo_refused_request_fails_with_the_services_words(pollo_settings, fake_pollo, tmp_path):
    with pytest.raises(ClipGenerationFailed, match="prompt is too long"):
        make_pollo().generate(prompt="word " * 1000, seconds=4, workdir=tmp_path)
    assert len(fake_pollo.requests) == 1


def test_pollo_video_that_is_not_a_video_fails(pollo_settings, fake_pollo, tmp_path):
    fake_pollo.video = b"<html>Access denied</html>"
    with pytest.raises(ClipGenerationFailed):
        make_pollo().generate(prompt="x", seconds=4, workdir=tmp_path)
    assert not (tmp_path / "clip.mp4").exists()


def test_pollo_video_in_another_format_is_converted(pollo_settings, fake_pollo, tmp_path):
    fake_pollo.video = sample_mp4(320, 240, 1.0, "mpeg4")
    clip = make_pollo().generate(prompt="4:3", seconds=4, workdir=tmp_path)
    info = assert_playable(clip.video_path, seconds=1)
    assert (info.width, info.height) == (1280, 720)
    assert_poster(clip.poster_path, (1280, 720))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"data": {"taskId": "t", "generations": [{"status": "succeed", "url": "https://c/v.mp4"}]}}, "succeed"),
        ({"taskId": "t", "generations": [{"status": "processing", "url": None}]}, "processing"),
        ({"data": {"taskId": "t", "status": "SUCCESS", "videoUrl": "https://c/v.mp4"}}, "success"),
        ({"taskId": "t", "status": "completed", "url": "https://c/v.mp4"}, "completed"),
        ({"taskId": "t", "status": "succeeded", "video": {"url": "https://c/v.mp4"}}, "succeeded"),
        ({"data": {"generations": [{"status": "failed", "failMsg": "nope"}]}}, "failed"),
        ({"taskId": "t"}, ""),
    ],
)
def test_read_task_accepts_the_known_shapes(payload, expected):
    status, url, reason = read_task(payload)
    assert status == expected
    if expected in {"succeed", "success", "completed", "succeeded"}:
        assert url == "https://c/v.mp4"
    if expected == "failed":
        assert reason == "nope"


def test_poster_of_a_clip_shorter_than_asked_is_its_first_frame(tmp_path):
    video = tmp_path / "short.mp4"
    video.write_bytes(sample_mp4())
    media.extract_poster(video, tmp_path / "poster.jpg", at_seconds=5)
    assert_poster(tmp_path / "poster.jpg", (640, 360))
