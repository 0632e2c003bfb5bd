"""One way of writing dates and times on every staff page: "Sat 15 Mar 2025, 1:00 PM".

The weekday is there because staff plan by it; the month is a word so day and month
are never confused; the year is always written. Short forms are the same on purpose,
so a date reads alike on every page. Input formats are left to Django's English
defaults (ISO dates stay what the admin's widgets type).
"""

DATE_FORMAT = "D j M Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "D j M Y, g:i A"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
