"""The writers' pages: the front page, the list with its search, and the editor, each within one writer's rows."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from screenplays.models import Screenplay
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
    assert [cell.split("</td>")[0] for cell in row.split('<td class="numeric">')[1:]] == ["1", "2", "—"]


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
