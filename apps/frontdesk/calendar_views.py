"""Placeholder until this page is built (replaced in this session)."""

from django.http import Http404


def calendar(request, **kwargs):
    raise Http404


def move_appointment(request, **kwargs):
    raise Http404
