"""Measure the screenplay editor in Chromium on a 120-page script: preview refresh per keystroke, save round trip.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/editor_bench.py [--pages 120] [--keystrokes 50] [--saves 10]`.
It creates its own migrated database, bench_ds_editor, the way the test suite does (on the embedded
PostgreSQL unless DATABASE_URL is set) and drops it at the end; adds a writer with one generated
screenplay, serves the app in a thread (Django's live server, static files included), drives
Debian's chromium with Playwright and prints a markdown table.
"""

import argparse
import os
import shutil
import statistics
import sys
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "directorstudio.settings")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_ds_editor")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.testcases import LiveServerThread  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from directorstudio.accounts.models import User  # noqa: E402
from screenplays.services import screenplay_create, screenplay_statistics  # noqa: E402

PLACES = ["DINER", "PARKING LOT", "MAYA'S CAR", "HIGHWAY 9", "POLICE STATION", "MOTEL ROOM", "ROOFTOP", "HARBOUR"]
PEOPLE = ["MAYA", "LEO", "RUIZ", "JUNE", "OTIS"]

# In the page: the time from a key going down to the preview holding the new text, laid out.
PROBE = """() => {
  const preview = document.getElementById("preview-page");
  window.__keyAt = 0;
  window.__refreshes = [];
  document.addEventListener("keydown", () => { window.__keyAt = performance.now(); }, true);
  new MutationObserver(() => {
    if (!window.__keyAt) return;
    preview.offsetHeight;
    window.__refreshes.push(performance.now() - window.__keyAt);
    window.__keyAt = 0;
  }).observe(preview, { childList: true });
}"""


def script(pages: int) -> str:
    """A screenplay of about `pages` pages: scenes of action and dialogue, with a few transitions."""
    scenes = []
    for number in range(pages * 8 // 3):
        place = PLACES[number % len(PLACES)]
        first, second = PEOPLE[number % len(PEOPLE)], PEOPLE[(number + 2) % len(PEOPLE)]
        scenes.append(
            f"{'INT' if number % 3 else 'EXT'}. {place} - {'NIGHT' if number % 2 else 'DAY'}\n\n"
            f"{first} crosses the room and stops at the window. Rain again, street lights smeared on the glass.\n\n"
            f"{first}\nWe can't stay here. Not after what happened at the harbour.\n\n"
            f"{second}\n(quietly)\nThen where? Every road out of town has a car on it.\n\n"
            f"{first}\nThe old tunnel. Nobody has used it in years.\n\n"
            f"{second} takes the keys from the table without a word.\n\n" + ("CUT TO:\n\n" if number % 4 == 3 else "")
        )
    return "".join(scenes)


def row(name: str, values: list[float]) -> str:
    """A table row: the median and the 95th percentile of `values`, in ms."""
    return f"| {name} | {statistics.median(values):.1f} ms | {percentile(values, 0.95):.1f} ms |"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--keystrokes", type=int, default=50)
    parser.add_argument("--saves", type=int, default=10)
    options = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    database = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    writer = User.objects.create_user(f"bench-editor-{uuid.uuid4().hex[:8]}@directorstudio.local")
    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    try:
        content = script(options.pages)
        screenplay, _ = screenplay_create(user_id=writer.pk, title="Bench", content=content)
        pages = screenplay_statistics(screenplay=screenplay)["pages"]
        print(
            f"Generated script: {len(content):,} characters, {content.count(chr(10)):,} lines, {pages} PDF pages",
            file=sys.stderr,
        )
        client = Client()
        client.force_login(writer)
        base = f"http://localhost:{server.port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
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
            page.goto(f"/screenplays/{screenplay.pk}/")
            page.wait_for_selector("#editor-app[data-ready=true]", state="attached")
            page.evaluate(PROBE)
            page.get_by_role("textbox", name="Screenplay").click()
            page.keyboard.press("Control+End")
            page.evaluate("() => performance.clearMeasures('preview')")
            for index in range(options.keystrokes):
                page.keyboard.press("abcdefghij"[index % 10])
                page.wait_for_function("(count) => window.__refreshes.length > count", arg=index)
            refreshes = page.evaluate("() => window.__refreshes")
            renders = page.evaluate("() => performance.getEntriesByName('preview').map((entry) => entry.duration)")

            trips = []
            for _ in range(options.saves):
                page.keyboard.press("k")
                trips.append(
                    page.evaluate(
                        """() => new Promise((resolve) => {
                            const status = document.getElementById("save-status");
                            const start = performance.now();
                            const observer = new MutationObserver(() => {
                              if (status.dataset.state !== "saved") return;
                              observer.disconnect();
                              resolve(performance.now() - start);
                            });
                            observer.observe(status, { attributes: true, childList: true, subtree: true });
                            document.getElementById("save-button").click();
                          })"""
                    )
                )
            browser.close()
        print(
            f"| measure ({pages}-page script, {options.keystrokes} keystrokes, {options.saves} saves) | median | p95 |"
        )
        print("|---|---|---|")
        print(row("keystroke → preview updated and laid out", refreshes))
        print(row("of which tokenize + render (preview measure)", renders))
        print(row("save round trip (Save → status Saved)", trips))
    finally:
        server.terminate()
        connection.creation.destroy_test_db(database, verbosity=0)


if __name__ == "__main__":
    main()
