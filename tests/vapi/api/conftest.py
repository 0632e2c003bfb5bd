"""Posting to the VAPI webhook through the real URL with real credentials."""

import pytest

from tests.vapi.webhook import URL, as_bytes, bearer


@pytest.fixture
def post(client, webhook_settings):
    """POST a body (bytes or JSON-able) to the webhook, with the bearer by default."""

    def _post(body, headers=None):
        return client.post(
            URL,
            as_bytes(body),
            content_type="application/json",
            headers=bearer() if headers is None else headers,
        )

    return _post
