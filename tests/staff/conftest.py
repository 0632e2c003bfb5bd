"""Invites link to an https site and go out through anymail's test backend."""

import pytest

SITE_URL = "https://app.voicehive.example"


@pytest.fixture(autouse=True)
def invite_settings(settings):
    settings.SITE_URL = SITE_URL
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
