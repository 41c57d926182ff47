import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_leads_to_the_admin_the_api_docs_and_the_writers_sign_in(client):
    page = client.get("/")

    assert page.status_code == 200
    for name in ("admin:index", "api-docs", "login", "signup"):
        assert f'href="{reverse(name)}"' in page.text


@pytest.mark.django_db
def test_home_page_shows_staff_the_admin(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)

    page = client.get("/")

    assert f'href="{reverse("admin:index")}"' in page.text
    assert f'href="{reverse("api-docs")}"' in page.text
