import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_leads_everybody_else_to_the_writers_sign_in_only(client):
    page = client.get("/")

    assert page.status_code == 200
    for name in ("login", "signup"):
        assert f'href="{reverse(name)}"' in page.text
    for name in ("admin:index", "api-docs", "api-schema"):
        assert f'href="{reverse(name)}"' not in page.text


@pytest.mark.django_db
def test_home_page_shows_staff_the_admin(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)

    page = client.get("/")

    assert f'href="{reverse("admin:index")}"' in page.text
    assert f'href="{reverse("api-docs")}"' in page.text


@pytest.mark.django_db
def test_a_writer_who_is_not_staff_sees_no_admin_link(client, alice):
    client.force_login(alice)

    page = client.get("/")

    assert f'href="{reverse("admin:index")}"' not in page.text
    assert f'href="{reverse("api-docs")}"' not in page.text


@pytest.mark.django_db
def test_every_page_names_the_sites_icon(client):
    page = client.get("/")

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
