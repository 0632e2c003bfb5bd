import pytest

from apps.core.links import admin_url


def test_admin_url_is_absolute_when_the_site_url_is_set(settings):
    settings.SITE_URL = "https://app.voicehive.example/"
    assert admin_url("admin:calls_call_change", 7) == (
        "https://app.voicehive.example/admin/calls/call/7/change/"
    )
    assert admin_url("admin:index") == "https://app.voicehive.example/admin/"


@pytest.mark.parametrize("site_url", ["", None])
def test_admin_url_is_blank_without_a_site_url(settings, site_url):
    settings.SITE_URL = site_url
    assert admin_url("admin:index") == ""
