"""Measure the screenplay editor in Chromium on a 120-page script: preview refresh per keystroke, save round trip.

Run from the checkout: `DEBUG=1 .venv/bin/python bench/editor_bench.py [--pages 120] [--keystrokes 50] [--saves 10]`.
It creates its own migrated database, bench_ds_editor, the way the test suite does (on the embedded
PostgreSQL unless DATABASE_URL is set) and drops it at the end; adds a writer with one generated
screenplay, serves the app in a thread (Django's live server, static files included), drives
Debian's chromium with Playwright and prints a markdown table.
"""

import argparse
import statistics
import sys
import uuid

import harness

harness.django_setup("bench_ds_editor")

from django.conf import settings  # noqa: E402
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
    return f"| {name} | {statistics.median(values):.1f} ms | {harness.percentile_rounded(values, 0.95):.1f} ms |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--keystrokes", type=int, default=50)
    parser.add_argument("--saves", type=int, default=10)
    options = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    with harness.live_server() as base:
        writer = User.objects.create_user(f"bench-editor-{uuid.uuid4().hex[:8]}@directorstudio.local")
        content = script(options.pages)
        screenplay, _ = screenplay_create(user_id=writer.pk, title="Bench", content=content)
        pages = screenplay_statistics(screenplay=screenplay)["pages"]
        print(
            f"Generated script: {len(content):,} characters, {content.count(chr(10)):,} lines, {pages} PDF pages",
            file=sys.stderr,
        )
        cookie = harness.session_cookie(writer, base)
        with sync_playwright() as playwright:
            browser = harness.chromium(playwright)
            context = harness.browser_context(browser, base, cookie)
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


if __name__ == "__main__":
    main()
