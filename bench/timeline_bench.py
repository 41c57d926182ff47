"""Measure the timeline in Chromium on a 500-scene project: time to open and first render, the requests it makes,
a keyboard reorder's round trip and the frames of a scroll along the whole track.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/timeline_bench.py [--scenes 500] [--runs 5]`.
It creates its own migrated database, bench_ds_timeline, the way the test suite does (on the embedded
PostgreSQL unless DATABASE_URL is set) and drops it at the end; adds a writer with one project of
`--scenes` scenes, serves the app in a thread (Django's live server, static files included), drives
Debian's chromium with Playwright and prints a markdown table.
"""

import argparse
import os
import shutil
import statistics
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directorstudio.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_ds_timeline")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from clips.models import SceneDraft  # noqa: E402
from directorstudio.accounts.models import User  # noqa: E402

SHOTS = ["wide", "medium", "close-up", "aerial", "over the shoulder"]

# In the page, once it is ready: milliseconds from the navigation's start to the track's first render (timeline.js
# marks it).
READY = "() => performance.getEntriesByName('timeline-rendered')[0].startTime"
# Scroll the track from end to end over 60 frames; answer every frame's duration.
SCROLL = """() => new Promise((resolve) => {
  const scroller = document.getElementById("track-scroller");
  const frames = [];
  let last = performance.now(), step = 0;
  function frame(now) {
    frames.push(now - last); last = now;
    scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) * (++step / 60);
    if (step < 60) requestAnimationFrame(frame); else resolve(frames.slice(1));
  }
  requestAnimationFrame(frame);
})"""


def row(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {label} | {statistics.median(ordered):.0f} ms | {p95:.0f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()

    database = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    writer = User.objects.create_user(f"bench-timeline-{uuid.uuid4().hex[:8]}@directorstudio.local")
    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        SceneDraft.objects.bulk_create(
            SceneDraft(
                user_id=writer.pk,
                project_id="bench",
                order_index=index,
                prompt_text=f"Shot {index + 1}: the camera follows Maya through the rain-soaked market",
                duration=2 + index % 7,
                scene_type="EXT" if index % 2 else "INT",
                shot_type=SHOTS[index % len(SHOTS)],
            )
            for index in range(options.scenes)
        )
        client = Client()
        client.force_login(writer)
        base = f"http://localhost:{server.port}"
        opens, doms, requests, api_requests, sizes, reorders, frames = [], [], [], [], [], [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            for _ in range(options.runs):
                context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                            "url": base,
                        }
                    ]
                )
                page = context.new_page()
                urls: list[str] = []
                page.on("request", lambda request, urls=urls: urls.append(request.url))
                response = page.goto("/projects/bench/")
                page.wait_for_selector("#timeline-app[data-ready=true]", state="attached")
                sizes.append(len(response.body()))
                opens.append(page.evaluate(READY))
                doms.append(
                    page.evaluate("() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
                )
                requests.append(len(urls))
                api_requests.append(len([url for url in urls if urlsplit(url).path.startswith("/api/")]))
                card = page.get_by_role("list", name="Scenes").get_by_role("listitem").nth(1)
                button = card.get_by_role("button", name="Move earlier")
                reorders.append(
                    page.evaluate(
                        """(button) => new Promise((resolve) => {
                          const status = document.getElementById("timeline-status");
                          const start = performance.now();
                          const observer = new MutationObserver(() => {
                            observer.disconnect();
                            resolve(performance.now() - start);
                          });
                          observer.observe(status, { childList: true, characterData: true, subtree: true });
                          button.click();
                        })""",
                        button.element_handle(),
                    )
                )
                frames.extend(page.evaluate(SCROLL))
                context.close()
            browser.close()
        html_kb = statistics.median(sizes) / 1024
        print(f"| measure ({options.scenes} scenes, {options.runs} runs, 1280x800) | median | p95 |")
        print("|---|---|---|")
        print(row("DOMContentLoaded (page parsed, data in it)", doms))
        print(row("open → track first rendered (500 cards in the DOM)", opens))
        print(row("keyboard Move earlier → saved (one reorder request)", reorders))
        print(row("frame during an end-to-end scroll of the track", frames))
        print(f"| requests per open (all / API) | {statistics.median(requests):.0f} / {max(api_requests)} | |")
        print(f"| HTML of the page (data as json_script) | {html_kb:.0f} KB | |")
    finally:
        server.terminate()
        connection.creation.destroy_test_db(database, verbosity=0)


if __name__ == "__main__":
    main()
