import pytest

from apps.dashboard import digests, tasks

pytestmark = pytest.mark.django_db


def test_the_digest_task_calls_the_service(mocker):
    send = mocker.patch.object(digests, "send_daily_digests", return_value=1)

    tasks.send_daily_digests()

    send.assert_called_once_with()
