import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_home_page_leads_to_the_admin_and_the_api_docs(client):
    page = client.get("/")

    assert page.status_code == 200
    assert f'href="{reverse("admin:index")}"' in page.text
    assert f'href="{reverse("api-docs")}"' in page.text
