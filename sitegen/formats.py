"""Formatting of figures and dates, shared by components and templates (Jinja filters)."""

from __future__ import annotations

import datetime as dt
import functools

import orjson
from markupsafe import Markup

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "INR": "₹", "JPY": "¥", "CHF": "CHF "}


def money(amount: int, currency: str = "USD") -> str:
    """205000 -> '~$205K'; 1250000 -> '~$1.25M'; 950 -> '~$950'. The tilde says it is a rounded figure."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    amount = abs(int(amount))
    if amount >= 1_000_000:
        text = f"{amount / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    elif amount >= 1_000:
        text = f"{round(amount / 1_000):,}K"
    else:
        text = f"{amount:,}"
    return f"~{symbol}{text}"


def count(number: int) -> str:
    """530 -> '530'; 12345 -> '12,345'."""
    return f"{int(number):,}"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # not strftime's %B, which follows the process's locale


@functools.lru_cache(maxsize=8192)  # every list page shows ten dates, and sites reuse the same few thousand
def long_date(value: dt.date | str) -> str:
    """2026-06-05 -> 'June 5, 2026' (a date, or a YYYY-MM-DD string as data files hold dates)."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def json_ld(value) -> Markup:
    """JSON for a <script type="application/ld+json"> block: `<`, `>` and `&` cannot close the script."""
    text = orjson.dumps(value).decode()  # compact, UTF-8 as it is, keys in order: json.dumps(separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def reading_minutes(words: int, per_minute: int) -> int:
    return max(1, round(words / per_minute))  # model.shown() says the same for signatures
