"""The writers' pages: the front page, the list with its search, and the editor, each within one writer's rows."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from screenplays.models import Screenplay, ScreenplayRevision
from screenplays.services import screenplay_create

pytestmark = pytest.mark.django_db


def make(user, title: str, content: str = "", *, days_ago: int = 0) -> Screenplay:
    screenplay, _ = screenplay_create(user_id=user.pk, title=title, content=content)
    Screenplay.objects.filter(pk=screenplay.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))
    return screenplay


@pytest.fixture
def signed_in_alice(client, alice):
    client.force_login(alice)
    return client


def titles_in(page) -> list[str]:
    return [line.split(">")[1].split("<")[0] for line in page.text.split('class="screenplay-link"')[1:]]


def test_the_list_shows_the_writers_screenplays_newest_first_with_their_counts(signed_in_alice, alice, bob):
    make(alice, "Old Draft", days_ago=3)
    make(alice, "Night Shift", "INT. DINER - NIGHT\n\nRain.\n\nEXT. STREET - DAY\n\nSun.\n")
    make(bob, "Bob's Secret")

    page = signed_in_alice.get(reverse("screenplays:list"))

    assert page.status_code == 200
    assert titles_in(page) == ["Night Shift", "Old Draft"]
    assert "Bob&#x27;s Secret" not in page.text
    row = page.text.split("Night Shift</a>")[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in row.split('<td class="numeric">')[1:]] == ["2", "—"]
    assert "· version 1" in row


def test_search_finds_titles_on_the_server(signed_in_alice, alice):
    make(alice, "Night Shift")
    make(alice, "Day Off")

    assert titles_in(signed_in_alice.get(reverse("screenplays:list"), {"q": "night"})) == ["Night Shift"]
    missing = signed_in_alice.get(reverse("screenplays:list"), {"q": "nothing like it"})
    assert titles_in(missing) == []
    assert "No screenplay has “nothing like it” in its title." in missing.text


def test_delete_buttons_are_named_with_the_title(signed_in_alice, alice):
    make(alice, "Night Shift")

    assert 'aria-label="Delete Night Shift"' in signed_in_alice.get(reverse("screenplays:list")).text


def test_the_editor_carries_the_screenplay_and_its_api(signed_in_alice, alice):
    screenplay = make(alice, "Night Shift", "INT. DINER - NIGHT\n")

    page = signed_in_alice.get(reverse("screenplays:editor", args=[screenplay.pk]))

    assert page.status_code == 200
    data = json.loads(page.text.split('id="screenplay-data" type="application/json">')[1].split("</script>")[0])
    assert data == {"id": str(screenplay.pk), "title": "Night Shift", "content": "INT. DINER - NIGHT\n", "version": 1}
    assert f'data-api="/api/v1/screenplays/{screenplay.pk}/"' in page.text
    for label in ("PDF", "FDX", "Fountain"):
        assert f"download>{label}</a>" in page.text


def test_another_writers_editor_is_a_404(signed_in_alice, bob):
    bobs = make(bob, "Bob's Secret")

    assert signed_in_alice.get(reverse("screenplays:editor", args=[bobs.pk])).status_code == 404


@pytest.mark.parametrize("name", ["list", "editor"])
def test_anonymous_visitors_are_sent_to_sign_in(client, alice, name):
    screenplay = make(alice, "Night Shift")
    url = reverse(f"screenplays:{name}", args=[screenplay.pk] if name == "editor" else [])

    page = client.get(url)

    assert page.status_code == 302
    assert page.url == f"{reverse('login')}?next={url}"


def test_the_front_page_shows_a_writer_their_screenplays(signed_in_alice, alice, bob):
    screenplay = make(alice, "Night Shift")
    make(bob, "Bob's Secret")

    page = signed_in_alice.get("/")

    assert f'href="{reverse("screenplays:editor", args=[screenplay.pk])}">Night Shift</a>' in page.text
    assert "Bob&#x27;s Secret" not in page.text
    assert "No projects yet." in page.text


def set_page_count(screenplay: Screenplay, pages: int) -> None:
    ScreenplayRevision.objects.filter(screenplay=screenplay, version=screenplay.version).update(page_count=pages)


def test_the_list_sorts_by_title_pages_and_last_change_each_way(signed_in_alice, alice):
    short = make(alice, "b short", days_ago=1)
    long = make(alice, "A Long One", days_ago=2)
    make(alice, "Uncounted", days_ago=3)
    set_page_count(short, 3)
    set_page_count(long, 110)
    url = reverse("screenplays:list")

    assert titles_in(signed_in_alice.get(url)) == ["b short", "A Long One", "Uncounted"]
    assert titles_in(signed_in_alice.get(url, {"sort": "title"})) == ["A Long One", "b short", "Uncounted"]
    assert titles_in(signed_in_alice.get(url, {"sort": "-title"})) == ["Uncounted", "b short", "A Long One"]
    assert titles_in(signed_in_alice.get(url, {"sort": "-pages"})) == ["A Long One", "b short", "Uncounted"]
    assert titles_in(signed_in_alice.get(url, {"sort": "pages"})) == ["b short", "A Long One", "Uncounted"]
    assert titles_in(signed_in_alice.get(url, {"sort": "updated"})) == ["Uncounted", "A Long One", "b short"]
    assert titles_in(signed_in_alice.get(url, {"sort": "nonsense"})) == ["b short", "A Long One", "Uncounted"]
    by_title = signed_in_alice.get(url, {"sort": "title", "q": "o"})
    assert titles_in(by_title) == ["A Long One", "b short", "Uncounted"]
    # The sorted column says so, and its link turns the order around, keeping the search.
    assert '<th scope="col" aria-sort="ascending"><a class="sort-link" href="/screenplays/?sort=-title&amp;q=o">' in (
        by_title.text
    )


def test_rename_from_the_list_saves_the_title_as_the_next_version(signed_in_alice, alice):
    screenplay = make(alice, "Night Shift", "INT. DINER - NIGHT\n")

    response = signed_in_alice.post(
        reverse("screenplays:rename", args=[screenplay.pk]),
        {"title": "  Day   Shift ", "version": 1, "sort": "title"},
        follow=True,
    )

    assert response.redirect_chain == [("/screenplays/?sort=title", 302)]
    assert "Renamed “Day Shift”." in response.text
    stored = Screenplay.objects.get(pk=screenplay.pk)
    assert (stored.title, stored.version, stored.content) == ("Day Shift", 2, "INT. DINER - NIGHT\n")
    assert ScreenplayRevision.objects.get(screenplay=screenplay, version=2).title == "Day Shift"


def test_a_rename_based_on_an_old_version_or_without_a_title_changes_nothing(signed_in_alice, alice):
    screenplay = make(alice, "Night Shift")
    url = reverse("screenplays:rename", args=[screenplay.pk])

    stale = signed_in_alice.post(url, {"title": "Day Shift", "version": 7}, follow=True)
    empty = signed_in_alice.post(url, {"title": "   ", "version": 1}, follow=True)
    too_long = signed_in_alice.post(url, {"title": "x" * 301, "version": 1}, follow=True)
    junk = signed_in_alice.post(url, {"title": "Day", "version": "seven"}, follow=True)

    assert "saved elsewhere meanwhile" in stale.text
    assert all(page.status_code == 200 for page in (empty, too_long, junk))
    assert "This field is required." in empty.text
    assert Screenplay.objects.get(pk=screenplay.pk).title == "Night Shift"
    assert Screenplay.objects.get(pk=screenplay.pk).version == 1


def test_duplicate_from_the_list_makes_a_copy_with_its_own_history(signed_in_alice, alice):
    screenplay = make(alice, "Night Shift", "INT. DINER - NIGHT\n\nRain.\n", days_ago=1)

    response = signed_in_alice.post(reverse("screenplays:duplicate", args=[screenplay.pk]), follow=True)

    assert "“Night Shift (copy)” is a new screenplay with the same text." in response.text
    assert titles_in(response) == ["Night Shift (copy)", "Night Shift"]
    copy = Screenplay.objects.get(title="Night Shift (copy)")
    assert (copy.user_id, copy.content, copy.version) == (alice.pk, screenplay.content, 1)
    assert copy.sections.count() == 1
    assert list(ScreenplayRevision.objects.filter(screenplay=copy).values_list("version", flat=True)) == [1]


def test_another_writers_screenplay_is_neither_renamed_nor_copied(signed_in_alice, bob):
    bobs = make(bob, "Bob's Secret")

    rename = signed_in_alice.post(reverse("screenplays:rename", args=[bobs.pk]), {"title": "Mine", "version": 1})
    duplicate = signed_in_alice.post(reverse("screenplays:duplicate", args=[bobs.pk]))

    assert rename.status_code == duplicate.status_code == 404
    assert Screenplay.objects.get(pk=bobs.pk).title == "Bob's Secret"
    assert Screenplay.objects.count() == 1


def test_rename_and_duplicate_take_only_a_post(signed_in_alice, alice):
    screenplay = make(alice, "Night Shift")

    for name in ("rename", "duplicate"):
        assert signed_in_alice.get(reverse(f"screenplays:{name}", args=[screenplay.pk])).status_code == 405
