"""Roxy's part of the business page: the assistant a new caller would get right now.

Roxy sits above businesses, so the business admin cannot ask for her assistant;
this module extends the registered business admin instead.
"""

import json

from django.contrib import admin
from django.template.loader import render_to_string

from apps.businesses.admin import BusinessAdmin
from apps.businesses.models import Business
from apps.roxy.assistant import preview_assistant
from apps.roxy.languages import LANGUAGE_NAMES


class BusinessWithRoxyAdmin(BusinessAdmin):
    fieldsets = (
        *BusinessAdmin.fieldsets,
        (
            "What callers hear",
            {
                "classes": ("collapse",),
                "description": "Roxy's assistant exactly as a new caller gets it now.",
                "fields": ("assistant_preview",),
            },
        ),
    )
    readonly_fields = (*BusinessAdmin.readonly_fields, "assistant_preview")

    @admin.display(description="Assistant")
    def assistant_preview(self, business):
        if business.pk is None:
            return "Save the business first."
        assistant = preview_assistant(business)
        spoken = [
            LANGUAGE_NAMES.get(code, code) for code in business.spoken_languages()
        ]
        return render_to_string(
            "admin/roxy/assistant_preview.html",
            {
                "assistant": assistant,
                "assistant_json": json.dumps(assistant, indent=2, ensure_ascii=False),
                "languages": ", ".join(spoken),
                "default_language": spoken[0],
            },
        )


admin.site.unregister(Business)
admin.site.register(Business, BusinessWithRoxyAdmin)
