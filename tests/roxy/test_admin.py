import pytest
from django.urls import reverse

from apps.demo import services as demo_services

pytestmark = pytest.mark.django_db


def test_business_page_previews_the_assistant_callers_get_now(admin_client):
    business = demo_services.seed_demo_business(password="pw").business
    page = admin_client.get(
        reverse("admin:businesses_business_change", args=[business.pk])
    ).content.decode()
    assert "Thanks for calling Maison Belle Hair Studio" in page
    assert "check_availability" in page
    assert "Haircut and color" in page  # services are in the prompt
    assert "The whole assistant as VAPI receives it" in page


def test_business_add_page_renders_without_a_preview(admin_client):
    page = admin_client.get(reverse("admin:businesses_business_add")).content.decode()
    assert "Save the business first." in page
