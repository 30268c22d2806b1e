"""Links that open the same view (issue 17): the view's state lives in the URL's query.

Every rerun ends by writing the view (language, store, month or custom range, the page's
filters, the open drill-down) into ``st.query_params``; Streamlit 1.67's front end pushes a
browser-history entry for each change (it replaces instead while it replays the browser's
back or forward), so the back button returns to the previous view. At the start of a rerun a
query that differs from the one last written came from outside (a pasted link, back or
forward): :func:`incoming` hands it to the sidebar, which takes every valid value and resets
the rest to defaults with one notice. A bare URL (a first visit, a bookmark of the page alone)
keeps the session's view.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from kpi.scope import FILTERS, month_end
from ui.i18n import t

DRILL_KEYS = ("drill", "part", "by", "point")
KEYS = ("lang", "store", "month", "from", "to", *FILTERS, *DRILL_KEYS)
WRITTEN = "_link_written"
REJECTED = "_link_rejected"


def _current() -> dict[str, str]:
    return {k: st.query_params[k] for k in KEYS if k in st.query_params}


def incoming() -> dict[str, str] | None:
    """Return the URL's view parameters when they came from outside this session, else None."""
    now = _current()
    if not now or now == st.session_state.get(WRITTEN):
        return None
    return now


def reject(name: str) -> None:
    """Note a parameter of the link that could not be used."""
    bad = st.session_state.setdefault(REJECTED, [])
    if name not in bad:
        bad.append(name)


def notify() -> None:
    """Say once which of the link's parameters were invalid and fell back to defaults."""
    bad = st.session_state.pop(REJECTED, [])
    if bad:
        st.toast(t("link.invalid", names=", ".join(bad)), icon=":material/link_off:")


def parse_range(raw_from: str | None, raw_to: str | None, today: date) -> tuple[date, date] | None:
    """Return the link's custom range (from <= to, to no later than this month's end)."""
    try:
        start, end = date.fromisoformat(str(raw_from)), date.fromisoformat(str(raw_to))
    except ValueError:
        return None
    if end < start or end > month_end(today) or start.year < 2000:
        return None
    return start, end


def view(
    lang: str,
    store: str | None,
    month: str | None,
    span: tuple[date, date] | None,
    filters: dict[str, str],
    drill: dict | None,
) -> dict[str, str]:
    """Return the query parameters that reopen this view."""
    out = {"lang": lang}
    if store is not None:
        out["store"] = store
    if month is not None:
        out["month"] = month
    elif span is not None:
        out["from"], out["to"] = span[0].isoformat(), span[1].isoformat()
    out.update(filters)
    if drill:
        out.update({k: str(drill[k]) for k in DRILL_KEYS if drill.get(k) is not None})
    return out


def publish(params: dict[str, str]) -> None:
    """Write the view into the URL in one update (one history entry), keeping other params."""
    if _current() != params:
        others = {k: st.query_params.get_all(k) for k in st.query_params if k not in KEYS}
        st.query_params.from_dict({**others, **params})
    st.session_state[WRITTEN] = params
