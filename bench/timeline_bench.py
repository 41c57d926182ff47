"""Measure the timeline in Chromium on a 500-scene project: time to open and first render, the requests it makes,
a keyboard reorder's round trip and the frames of a scroll along the whole track.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/timeline_bench.py [--scenes 500] [--runs 5]`.
It creates its own migrated database, bench_ds_timeline, the way the test suite does (on the embedded
PostgreSQL unless DATABASE_URL is set) and drops it at the end; adds a writer with one project of
`--scenes` scenes, serves the app in a thread (Django's live server, static files included), drives
Debian's chromium with Playwright and prints a markdown table.
"""

import argparse
import statistics
import uuid
from urllib.parse import urlsplit

import harness

harness.django_setup("bench_ds_timeline")

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
    p95 = harness.percentile_rounded(values, 0.95)
    return f"| {label} | {statistics.median(values):.0f} ms | {p95:.0f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()

    with harness.live_server() as base:
        writer = User.objects.create_user(f"bench-timeline-{uuid.uuid4().hex[:8]}@directorstudio.local")
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
        cookie = harness.session_cookie(writer, base)
        opens, doms, requests, api_requests, sizes, reorders, frames = [], [], [], [], [], [], []
        with sync_playwright() as playwright:
            browser = harness.chromium(playwright)
            for _ in range(options.runs):
                context = harness.browser_context(browser, base, cookie)
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


if __name__ == "__main__":
    main()
