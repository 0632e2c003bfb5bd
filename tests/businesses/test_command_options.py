import pytest
from django.core.management.base import CommandError

from apps.businesses.command_options import business_from_slug
from tests.businesses.factories import BusinessFactory

pytestmark = pytest.mark.django_db


def test_business_from_slug():
    business = BusinessFactory(slug="maison")
    assert business_from_slug("maison") == business
    assert business_from_slug(None) is None
    with pytest.raises(CommandError, match="No business with slug 'nope'"):
        business_from_slug("nope")
