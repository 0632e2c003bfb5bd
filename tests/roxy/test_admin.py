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


def test_the_preview_shows_the_languages_voice_and_persona(admin_client):
    business = demo_services.seed_demo_business(password="pw").business
    business.languages, business.default_language = ["es", "en"], "es"
    business.assistant_name = "Lucía"
    business.voice_provider, business.voice_id = "cartesia", "voz-1"
    business.save()

    page = admin_client.get(
        reverse("admin:businesses_business_change", args=[business.pk])
    ).content.decode()

    assert "Spanish, English (starts in Spanish" in page
    assert "language “multi”" in page
    assert "cartesia · voz-1 · sonic-3" in page
    assert "Gracias por llamar a Maison Belle Hair Studio, le atiende Lucía" in page


def test_staff_change_languages_and_voice_on_the_business_page(admin_client):
    business = demo_services.seed_demo_business(password="pw").business
    url = reverse("admin:businesses_business_change", args=[business.pk])
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and not isinstance(value, list | dict)
    }

    assert "languages" in form.fields
    assert set(form.fields["languages"].choices) >= {("es", "Español")}
    assert {"default_language", "assistant_name", "voice_provider"} <= set(data) | set(
        form.fields
    )
