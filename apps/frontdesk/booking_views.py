"""Placeholder until this page is built (replaced in this session)."""

from django.http import Http404


def book(request, **kwargs):
    raise Http404


def free_slots(request, **kwargs):
    raise Http404


def find_customers(request, **kwargs):
    raise Http404
