import pytest

from apps.core.links import absolute_url, is_web_url


def test_absolute_url_is_absolute_when_the_site_url_is_set(settings):
    settings.SITE_URL = "https://app.voicehive.example/"
    assert absolute_url("admin:calls_call_change", 7) == (
        "https://app.voicehive.example/admin/calls/call/7/change/"
    )
    assert absolute_url("admin:index") == "https://app.voicehive.example/admin/"


@pytest.mark.parametrize("site_url", ["", None])
def test_absolute_url_is_blank_without_a_site_url(settings, site_url):
    settings.SITE_URL = site_url
    assert absolute_url("admin:index") == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://storage.vapi.ai/0195-mono.wav",
        "http://localhost:8000/recording.wav",
        "HTTPS://storage.vapi.ai/a.wav?X-Amz-Signature=3b9f",
    ],
)
def test_web_urls_are_safe_to_link(url):
    assert is_web_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:audio/wav;base64,AAAA",
        "vbscript:msgbox(1)",
        "ftp://files.example/a.wav",
        "//evil.example/a.wav",
        "/admin/",
        "https:alert(1)",
        "https://storage.vapi.ai/a b.wav",
        "https://storage.vapi.ai/a.wav\n",
        "http://[::1",
    ],
)
def test_anything_else_is_not(url):
    assert not is_web_url(url)
