"""Date and time formats the whole back office shows (settings.FORMAT_MODULE_PATH)."""
