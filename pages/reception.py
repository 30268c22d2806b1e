"""Reception: log a walk-in, a call or a new order in a few taps; managers correct today's entries.

Needs a signed-in staff account (typing the URL does not get around it). Entries are provisional
`LIVE-` rows (warehouse/live.py) until the DMS export replaces them; the TV shows them on its
next refresh.
"""

from collections.abc import Callable

import streamlit as st

from ui import auth, data, sidebar, tv
from ui.i18n import current_lang, enum_label, t
from warehouse import db, live

# Finger-sized choices on a reception tablet.
TOUCH_CSS = """<style>
[data-testid="stMain"] [data-testid="stButtonGroup"] button { min-height: 3rem;
  padding: 0 1.1rem; font-size: 1.1rem; }
[data-testid="stMain"] [data-testid="stFormSubmitButton"] button { min-height: 3.4rem;
  font-size: 1.2rem; }
</style>"""

data.current()  # a fresh server may run this file alone: go through dashboard.py first
user = auth.require_role("staff")
st.html(TOUCH_CSS)
ctx = sidebar.context()
st.title(t("reception.title"))
store = ctx.store or st.selectbox(t("sidebar.store"), data.stores(), key="reception-store")
path = data.current().path
with data.reading(path) as con:
    info = live.store_settings(con, store)
    choices = live.options(con, store)
today = tv.store_today(info["timezone"])
st.caption(t("reception.caption", store=auth.md(info["name"]), day=today.isoformat()))


def write(action: Callable, done: str) -> None:
    """Run one write on a short read-write connection; on success start fresh forms."""
    try:
        with data.writing(path) as con:
            action(con)
    except live.LiveEntryError as exc:
        st.error(t("reception.refused", errors=auth.md("; ".join(exc.texts(current_lang())))))
        return
    except (LookupError, PermissionError) as exc:
        st.error(auth.md(exc))
        return
    except db.DatabaseBusy:
        st.warning(t("common.db_busy"))
        return
    st.session_state["reception-done"] = done
    st.session_state["reception-n"] = st.session_state.get("reception-n", 0) + 1
    st.rerun()


def pick(label: str, options: list, key: str, now=None, kind: str | None = None, **kw):
    """Draw one tap-to-choose row (pills), preset to `now` when it is one of the options."""
    kw.setdefault("format_func", (lambda v: enum_label(kind, v)) if kind else str)
    default = now if now in options else None
    return st.pills(label, options, default=default, key=key, **kw)


def visit_fields(key: str, now: dict) -> dict:
    """Draw the walk-in / call fields (preset from `now`) and return their values."""
    return {
        "kind": pick(t("reception.kind"), ["walk_in", "phone"], f"{key}-kind",
                     now.get("kind", "walk_in"), "kind", required=True),
        "consultant": pick(t("reception.consultant"), choices["consultants"], f"{key}-c",
                           now.get("consultant")),
        "channel": pick(t("reception.channel"), choices["channels"], f"{key}-ch",
                        now.get("channel"), "channel"),
        "first_visit": pick(t("reception.first_visit"), [True, False], f"{key}-first",
                            now.get("first_visit", True), required=True,
                            format_func=lambda v: t(f"reception.first_{v}".lower())),
        "test_drive": st.toggle(t("reception.test_drive"), bool(now.get("test_drive")),
                                key=f"{key}-drive"),
        "lead_level": pick(t("reception.lead_level"), list("OHABCF"), f"{key}-lvl",
                           now.get("lead_level"), "lead_level"),
        "model_interest": pick(t("reception.model_interest"), choices["models"], f"{key}-m",
                               now.get("model")),
    }  # fmt: skip


def order_fields(key: str, now: dict) -> dict:
    """Draw the new-order fields (preset from `now`) and return their values."""
    return {
        "consultant": pick(t("reception.consultant"), choices["consultants"], f"{key}-c",
                           now.get("consultant")),
        "model": pick(t("reception.model"), choices["models"], f"{key}-m", now.get("model")),
        "channel": pick(t("reception.channel"), choices["channels"], f"{key}-ch",
                        now.get("channel"), "channel"),
        "sale_type": pick(t("reception.sale_type"), ["retail", "fleet", "sub_dealer"],
                          f"{key}-st", now.get("sale_type", "retail"), "sale_type", required=True),
        "buyer_type": pick(t("reception.buyer_type"), ["private", "corporate"], f"{key}-bt",
                           now.get("buyer_type", "private"), "buyer_type", required=True),
    }  # fmt: skip


if "reception-done" in st.session_state:
    st.success(st.session_state.pop("reception-done"), icon=":material/check_circle:")
n = st.session_state.get("reception-n", 0)  # a new form key after each entry: fresh taps
tabs = st.tabs([t("reception.tab_visit"), t("reception.tab_order"), t("reception.tab_today")])
with tabs[0], st.form(f"visit-{n}", border=False):
    values = visit_fields(f"v{n}", {})
    values["customer_id"] = st.text_input(t("reception.customer"), key=f"v{n}-cust")
    if st.form_submit_button(t("reception.log_visit"), type="primary", width="stretch"):
        what = enum_label("kind", values["kind"])
        write(lambda c: live.log_visit(c, store, user, visit_date=today, **values),
              t("reception.logged", what=what))  # fmt: skip
with tabs[1], st.form(f"order-{n}", border=False):
    order = order_fields(f"o{n}", {})
    order["customer_id"] = st.text_input(t("reception.customer"), key=f"o{n}-cust")
    st.caption(t("reception.money_later"))
    if st.form_submit_button(t("reception.log_order"), type="primary", width="stretch"):
        write(lambda c: live.log_order(c, store, user, order_date=today, **order),
              t("reception.logged", what=t("reception.order")))  # fmt: skip
with tabs[2]:
    with data.reading(path) as con:
        rows = live.entries(con, store, today).to_dict("records")
    if not rows:
        st.caption(t("reception.none_today"))
    for row in rows:
        kind = t("reception.order") if row["kind"] == "order" else enum_label("kind", row["kind"])
        parts = [kind, row["consultant"], row["model"], f"({row['entered_by']})"]
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.text(" · ".join(str(p) for p in parts if p))
            if not user.can("manager"):
                continue
            key, table = row["entry_id"], row["table_name"]
            with st.popover(t("reception.edit"), icon=":material/edit:"), st.form(f"e-{key}"):
                fields = (visit_fields if table == "traffic" else order_fields)(f"e-{key}", row)
                if table == "orders":
                    fields["status"] = pick(t("reception.status"), ["open", "cancelled"],
                                            f"e-{key}-s", row["status"], "order_status",
                                            required=True)  # fmt: skip
                if st.form_submit_button(t("reception.save"), type="primary"):
                    write(lambda c, k=key, tb=table, f=fields: live.update_entry(
                        c, tb, store, k, f, user), t("reception.saved"))  # fmt: skip
            if st.button(t("reception.delete"), key=f"d-{key}", icon=":material/delete:"):
                write(lambda c, k=key, tb=table: live.delete_entry(c, tb, store, k, user),
                      t("reception.deleted"))  # fmt: skip
