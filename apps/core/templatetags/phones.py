"""Phone numbers in templates: `{% load phones %}{% phone_link number business %}`."""

from django import template

from apps.core import phones

register = template.Library()


@register.simple_tag
def phone_link(number: str, business=None, texting: bool = True):
    """The number in the business's format as a tel: link, and an sms: link where it
    takes texts (pass texting=False when the person said no to texts)."""
    return phones.phone_link(number or "", business, texting=texting)
