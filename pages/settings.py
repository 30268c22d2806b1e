"""Store settings: name, brand, region, time zone, opening hours, floorplan rate, KPI
thresholds, follow-up cadence and whether the figures are public; managers only."""

import json
from zoneinfo import available_timezones

import streamlit as st

from app import admin
from ui import auth, data, notify_view, sidebar
from ui.i18n import current_lang, t
from warehouse.db import DatabaseBusy

user = auth.require_role("manager")
ctx = sidebar.context()

st.title(t("settings.title"))
stores = data.stores()
if not stores:
    st.info(t("settings.no_store"))
    st.stop()
store = st.selectbox(
    t("settings.store"),
    stores,
    index=stores.index(ctx.store) if ctx.store in stores else 0,
    key="settings-store",
)
now = auth.read(admin.store_settings, store)
if notice := st.session_state.pop("_settings_notice", None):
    st.success(notice, icon=":material/task_alt:")


def pretty(raw: str | None) -> str:
    """Return stored JSON indented for editing ('' when none)."""
    return json.dumps(json.loads(raw), ensure_ascii=False, indent=2) if raw else ""


public = "all" if now["public_view"] else "board" if now["public_tv"] else "none"
st.info(
    t("settings.public_now", what=t(f"settings.public_{public}")),
    icon=":material/lock_open:" if public != "none" else ":material/lock:",
)
st.caption(t("settings.public_help") + " " + t("settings.public_tv_help"))

zones = sorted(available_timezones() | {now["timezone"]})
with st.form(f"settings-{store}"):
    left, right = st.columns(2)
    values = {
        "name": left.text_input(t("settings.name"), now["name"] or ""),
        "brand": left.text_input(t("settings.brand"), now["brand"] or ""),
        "region": left.text_input(t("settings.region"), now["region"] or ""),
        "timezone": right.selectbox(
            t("settings.timezone"), zones, index=zones.index(now["timezone"])
        ),
        "opening_hours": right.text_input(
            t("settings.opening_hours"), now["opening_hours"], help=t("settings.hours_help")
        ),
        "floorplan_rate": right.number_input(
            t("settings.floorplan_rate"),
            min_value=0.0,
            max_value=100.0,
            value=round(float(now["floorplan_rate"]) * 100, 4),
            step=0.25,
            format="%.2f",
        )
        / 100,
        "public_view": st.toggle(
            t("settings.public_view"), bool(now["public_view"]), help=t("settings.public_help")
        ),
        "public_tv": st.toggle(
            t("settings.public_tv"), bool(now["public_tv"]), help=t("settings.public_tv_help")
        ),
        "thresholds": st.text_area(
            t("settings.thresholds"),
            pretty(now["thresholds"]),
            help=t("settings.thresholds_help"),
            placeholder='{"close_rate": {"warning": 0.2, "critical": 0.15}}',
        ),
        "cadence": st.text_area(
            t("settings.cadence"),
            pretty(now["cadence"]),
            help=t("settings.cadence_help"),
            placeholder='{"H": 3, "C": 21}',
        ),
    }
    if st.form_submit_button(t("settings.save"), type="primary"):
        try:
            auth.write(admin.save_store_settings, user, store, values)
        except admin.SettingsError as exc:
            for field in exc.errors:
                reason = exc.reason(field, current_lang())
                st.error(t("settings.bad", field=t(f"settings.{field}"), reason=auth.md(reason)))
        except DatabaseBusy:
            st.warning(t("upload.busy"))
        else:
            st.session_state["_settings_notice"] = t("settings.saved", store=auth.md(store))
            st.rerun()

notify_view.settings_section(user, store)  # digest and alerts: channels, test message
