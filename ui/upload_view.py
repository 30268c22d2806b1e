"""The Upload page's pieces: each file's table, mapping and checks; the dry run and commit;
the import history with undo.

The page (pages/upload.py) only lays these out. Database reads and writes go through
app.uploads with short connections; parsed files are kept in the session so a rerun
(a widget change) does not read an unchanged file again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from app import uploads
from ui import data
from ui.auth import md
from ui.download import csv_button
from ui.formatting import kpi_delta, kpi_value, month_label, unit_kind, unit_of
from ui.i18n import STRINGS, current_lang, enum_label, t
from warehouse import db, messages
from warehouse.auth import User
from warehouse.errors import DatabaseError
from warehouse.parsing import REASONS, ParsedFile, required_columns
from warehouse.spec import STORE, TABLES

IGNORE = ""
AUTO = ""
DATE_ORDERS = [AUTO, "DMY", "MDY"]
PREVIEW_ROWS = 10
PARSE_CACHE = 24  # parsed files kept per session
NEW_STORE = "\x00new"
_STORE_ID = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")


def column_label(table: str, column: str, lang: str | None = None) -> str:
    """Return 'name (中文)' for a column: the canonical name with its first Chinese alias."""
    if column == IGNORE:
        return t("upload.ignore", lang)
    spec = STORE if column == "store" else TABLES[table].column(column)
    zh = next((a for a in spec.aliases if not a.isascii()), None)
    return f"{column} ({zh})" if zh else column


def table_label(table: str, lang: str | None = None) -> str:
    """Return the table's display name with its canonical name."""
    return f"{enum_label('table', table, lang)} · {table}"


# ------------------------------------------------------------------ cached reads


def _path() -> str:
    return data.current().path


@st.cache_data(show_spinner=False, max_entries=32)
def _saved(path: str, version: int, store: str) -> dict:
    import os

    if not os.path.exists(path):
        return {}
    with data.reading(path) as con:
        return uploads.saved_mappings(con, store)


def saved(store: str) -> dict[str, tuple[dict[str, str | None], str | None]]:
    """Return the store's saved mappings per table (read once per data version)."""
    return _saved(_path(), data.current().version, store)


@st.cache_data(show_spinner=False, max_entries=32)
def _history(path: str, version: int, store: str | None) -> pd.DataFrame:
    import os

    if not os.path.exists(path):
        return pd.DataFrame()
    with data.reading(path) as con:
        return uploads.history(con, store)


# ------------------------------------------------------------------ store


def store_picker(default: str | None) -> str | None:
    """Return the store the upload goes to: an existing one or a new id typed in."""
    stores = data.stores()
    lang = current_lang()  # bound now: a widget's labels are also formatted outside the run
    options = [*stores, NEW_STORE]
    start = default if default in stores else (stores[0] if stores else NEW_STORE)
    choice = st.selectbox(
        t("upload.store"),
        options,
        index=options.index(start),
        key="upload-store",
        format_func=lambda s: t("upload.new_store", lang) if s == NEW_STORE else s,
        help=t("upload.store_help"),
    )
    if choice != NEW_STORE:
        return choice
    typed = st.text_input(t("upload.new_store_id"), value="main", key="upload-new-store").strip()
    if not _STORE_ID.match(typed):
        st.error(t("upload.bad_store_id"))
        return None
    return typed


# ------------------------------------------------------------------ one file


@dataclass
class Item:
    """One uploaded file on the page: its plan (how to read it) and what reading it found."""

    plan: uploads.FilePlan
    parsed: ParsedFile

    @property
    def accepted(self) -> bool:
        """Return True when the file would be imported (no problems, or partial chosen)."""
        pf = self.parsed
        return pf.error is None and (pf.problems == 0 or self.plan.allow_partial)


def _file_key(upload: Any, digest: str) -> str:
    return "up-" + hashlib.sha1(f"{upload.name}\x00{digest}".encode()).hexdigest()[:10]


def _digest(upload: Any) -> str:
    shas = st.session_state.setdefault("_upload_sha", {})
    fid = getattr(upload, "file_id", None) or upload.name
    if fid not in shas:
        shas[fid] = hashlib.sha256(upload.getvalue()).hexdigest()
    return shas[fid]


def _detect(key: str, upload: Any, store: str) -> uploads.Detection:
    memo = st.session_state.setdefault("_upload_detect", {})
    if (key, store) not in memo:
        known = {tbl: m for tbl, (m, _) in saved(store).items()}
        memo[(key, store)] = uploads.detect_table(upload.name, upload.getvalue(), known)
    return memo[(key, store)]


def _parse(plan: uploads.FilePlan, store: str) -> ParsedFile:
    memo: dict = st.session_state.setdefault("_upload_parsed", {})
    mapping = tuple(sorted((plan.mapping or {}).items(), key=lambda kv: kv[0]))
    sig = (plan.sha256, plan.table, store, mapping, plan.date_order)
    if sig not in memo:
        if len(memo) >= PARSE_CACHE:
            memo.pop(next(iter(memo)))
        memo[sig] = uploads.parse(plan, store)
    return memo[sig]


def distinct(files: list[Any]) -> list[Any]:
    """Return the uploaded files without repeated content (a file dropped twice), saying so."""
    seen: dict[str, str] = {}
    out = []
    for upload in files:
        digest = _digest(upload)
        if digest in seen:
            st.caption(t("upload.twice", file=md(upload.name), first=md(seen[digest])))
            continue
        seen[digest] = upload.name
        out.append(upload)
    return out


def _mapping_from_widgets(key: str, table: str, base: dict[str, str | None]) -> dict:
    """Return the saved mapping with the user's choices on this page laid over it."""
    mapping = dict(base)
    for widget, header in st.session_state.get(f"{key}-{table}-headers", {}).items():
        if widget in st.session_state:
            mapping[header] = st.session_state[widget] or None
    return mapping


def file_panel(number: int, upload: Any, store: str) -> Item | None:
    """Draw one uploaded file: its table, reading, mapping, preview and problems.

    Returns the file's plan and parse, or None when the file cannot be used at all.
    """
    st.markdown(f"**{number}. {md(upload.name)}** · {upload.size / 1024:,.1f} KB")
    try:
        uploads.check_size(upload.name, upload.size)
    except uploads.UploadError:
        st.error(
            t("upload.too_big", size=upload.size / 1024 / 1024, limit=uploads.MAX_FILE_MB),
            icon=":material/block:",
        )
        return None
    digest = _digest(upload)
    key = _file_key(upload, digest)
    found = _detect(key, upload, store)
    if found.error:
        reason = found.error
        if found.error_code:
            reason = messages.text(found.error_code, current_lang(), **(found.error_params or {}))
        st.error(t("upload.unreadable", reason=md(reason)), icon=":material/block:")
        return None
    tables = list(TABLES)
    lang = current_lang()
    table = st.selectbox(
        t("upload.table"),
        tables,
        index=tables.index(found.table) if found.table else 0,
        key=f"{key}-table",
        format_func=lambda n: table_label(n, lang),
        help=t("upload.table_help"),
    )
    if found.table is None:
        st.warning(t("upload.not_detected"), icon=":material/help:")
    elif table == found.table:
        st.caption(t("upload.detected"))
    memory, saved_order = saved(store).get(table, ({}, None))
    mapping = _mapping_from_widgets(key, table, memory)
    order_key = f"{key}-{table}-order"
    order = st.session_state.get(order_key, saved_order or AUTO) or None
    partial = bool(st.session_state.get(f"{key}-partial", False))
    plan = uploads.FilePlan(upload.name, upload.getvalue(), table, mapping or None, order, partial)
    parsed = _parse(plan, store)
    _reading(parsed)
    _mapping_editor(key, table, parsed, order_key, saved_order)
    _preview(parsed)
    _problems(key, parsed)
    return Item(plan, parsed)


_MESSAGES = (
    (re.compile(r"^line (\d+): total row skipped$"), "upload.msg.total"),
    (re.compile(r"^skipped (\d+) subtotal row\(s\)$"), "upload.msg.subtotals"),
    (re.compile(r"^ignored columns: (.*)$"), "upload.msg.ignored"),
)


def importer_message(message: str) -> str:
    """Return one of the importer's notes in the session language (as is when not known)."""
    for pattern, key in _MESSAGES:
        found = pattern.match(message)
        if found:
            return t(key, value=found.group(1))
    return message


def _reading(pf: ParsedFile) -> None:
    if not pf.headers:
        return
    delimiter = {",": "comma", "\t": "tab", ";": "semicolon"}.get(pf.delimiter or "", "")
    how = pf.encoding.upper() + (" · " + t(f"upload.delim.{delimiter}") if delimiter else "")
    if pf.sheet:
        how += " · " + t("upload.sheet", sheet=md(pf.sheet))
    st.caption(t("upload.read_as", how=how, line=pf.header_line, rows=pf.row_count))
    for message in pf.messages:
        st.caption(md(importer_message(message)))


def _mapping_editor(
    key: str, table: str, pf: ParsedFile, order_key: str, saved_order: str | None
) -> None:
    headers = [h for h in pf.headers if str(h).strip()]
    if not headers:
        return
    mapped = set(pf.mapping.values())
    missing = [c for c in required_columns(TABLES[table]) if c not in mapped]
    unknown = [h for h in headers if h not in pf.mapping]
    ambiguous = any(
        r.code == "ambiguous_date" or REASONS["ambiguous_date"] in r.reason for r in pf.rejections
    )
    if missing:
        names = ", ".join(column_label(table, c) for c in missing)
        st.warning(t("upload.missing", columns=names), icon=":material/rule:")
    if ambiguous:
        st.warning(t("upload.ambiguous"), icon=":material/event:")
    title = t("upload.mapping", n=len(headers), unknown=len(unknown))
    with st.expander(title, expanded=bool(missing or ambiguous), icon=":material/tune:"):
        st.caption(t("upload.mapping_help"))
        options = [IGNORE, *TABLES[table].names, "store"]
        registry = st.session_state.setdefault(f"{key}-{table}-headers", {})
        lang = current_lang()
        cols = st.columns(3)
        for j, header in enumerate(headers):
            widget = f"{key}-{table}-map-{hashlib.sha1(header.encode()).hexdigest()[:8]}"
            registry[widget] = header
            current = pf.mapping.get(header, IGNORE)
            label = md(header)
            if header not in pf.mapping:
                label = t("upload.unknown_header", header=label)
            cols[j % 3].selectbox(
                label,
                options,
                index=options.index(current) if current in options else 0,
                key=widget,
                format_func=lambda c: column_label(table, c, lang),
            )
        st.radio(
            t("upload.date_order"),
            DATE_ORDERS,
            index=DATE_ORDERS.index(saved_order or AUTO),
            key=order_key,
            format_func=lambda o: t(f"upload.order.{o or 'auto'}", lang),
            horizontal=True,
        )


def _preview(pf: ParsedFile) -> None:
    if pf.rows is None or pf.row_count == 0:
        return
    with st.expander(t("upload.preview", n=min(PREVIEW_ROWS, pf.rows.num_rows))):
        st.dataframe(pf.frame(limit=PREVIEW_ROWS), hide_index=True)


def _problems(key: str, pf: ParsedFile) -> None:
    if pf.problems == 0:
        st.success(t("upload.file_ok", rows=pf.row_count), icon=":material/check_circle:")
        return
    if pf.error is not None:
        reason = pf.error_text(current_lang())
        st.error(t("upload.file_refused", reason=md(reason)), icon=":material/block:")
    else:
        st.error(
            t("upload.file_problems", n=pf.problems, rows=pf.rejected_rows),
            icon=":material/error:",
        )
    report = uploads.rejections_frame([pf], current_lang())
    report.columns = [t(f"upload.col.{c}") for c in report.columns]
    st.dataframe(report, hide_index=True)
    csv_button(report, t("upload.download_report"), f"{pf.file}-problems.csv", key=f"{key}-dl")
    if pf.error is None:
        good = pf.row_count - pf.rejected_rows
        st.checkbox(
            t("upload.partial", good=good, bad=pf.rejected_rows), key=f"{key}-partial", value=False
        )


# ------------------------------------------------------------------ check and commit


def _signature(items: list[Item], store: str) -> tuple:
    return (store,) + tuple(
        (
            i.plan.sha256,
            i.plan.table,
            tuple(sorted((i.plan.mapping or {}).items(), key=lambda kv: kv[0])),
            i.plan.date_order,
            i.plan.allow_partial,
        )
        for i in items
    )


def local_time(utc: Any, store: str | None) -> str:
    """Return a UTC timestamp of the import log as 'YYYY-MM-DD HH:MM' in the store's zone."""
    if utc is None or pd.isna(utc):
        return "—"
    return f"{pd.Timestamp(utc).tz_localize('UTC').tz_convert(_zone(store)):%Y-%m-%d %H:%M}"


def _zone(store: str | None) -> str:
    if not store:
        return "Asia/Shanghai"
    return _zone_cached(_path(), data.current().version, store)


@st.cache_data(show_spinner=False, max_entries=64)
def _zone_cached(path: str, version: int, store: str) -> str:
    """Return the store's time zone, read once per data version (a settings save bumps it).

    The import history asked the database once per undoable import on every rerun.
    """
    import os

    from app.admin import store_settings

    if not os.path.exists(path):
        return "Asia/Shanghai"
    with data.reading(path) as con:
        settings = store_settings(con, store)
    return settings.get("timezone") or "Asia/Shanghai"


def _outcomes_frame(result: uploads.UploadResult) -> pd.DataFrame:
    rows = []
    for o in result.files:
        status = t(f"upload.status.{o.status}")
        if o.status == "duplicate" and o.already_on is not None:
            status = t("upload.already", when=local_time(o.already_on, o.stores[0]))
        rows.append(
            {
                t("upload.col.file"): o.name,
                t("upload.col.table"): enum_label("table", o.table),
                t("upload.col.store"): ", ".join(o.stores),
                t("upload.col.status"): status,
                t("upload.col.new"): o.inserted,
                t("upload.col.updated"): o.updated,
                t("upload.col.unchanged"): o.unchanged,
                t("upload.col.rejected"): o.rejected,
                t("upload.col.live"): o.provisional_replaced,
            }
        )
    return pd.DataFrame(rows)


def _kpi_label(kpi_id: str) -> str:
    from ui.i18n import kpi_label

    base, _, part = kpi_id.partition(".")
    try:
        from kpi.catalogue import CATALOGUE
    except ImportError:
        CATALOGUE = {}  # noqa: N806
    if base in CATALOGUE or f"kpi.{base}" in STRINGS:
        name = kpi_label(base)
    else:
        name = base
    return f"{name} · {part}" if part else name


def _fmt(kpi_id: str, value: Any, signed: bool = False) -> str:
    base = kpi_id.partition(".")[0]
    if value is None or isinstance(value, str | bool):
        return "—" if value is None else str(value)
    if signed and unit_kind(unit_of(base)) == "percent":
        # a change of a rate reads in percentage points, as on the KPI cards
        return kpi_delta(base, value, 0.0) or "—"
    text = kpi_value(base, value, compact=False)
    return ("+" + text) if signed and value > 0 else text


def _catalogue_order(kpi_id: str) -> int:
    try:
        from kpi.catalogue import CATALOGUE
    except ImportError:
        return 0
    order = list(CATALOGUE)
    base = kpi_id.partition(".")[0]
    return order.index(base) if base in order else len(order)


def kpi_changes_frame(changes: pd.DataFrame) -> pd.DataFrame:
    """Return the dry run's KPI changes with labels and values formatted for reading.

    Newest month first, then stores, then KPIs in the catalogue's order (headline ones first).
    """
    if not changes.empty:
        changes = changes.assign(_o=changes["kpi"].map(_catalogue_order))
        changes = changes.sort_values(
            ["month", "store", "_o", "kpi"], ascending=[False, True, True, True]
        )
    rows = [
        {
            t("upload.col.store"): r.store,
            t("upload.col.month"): month_label(r.month),
            t("upload.col.kpi"): _kpi_label(r.kpi),
            t("upload.col.before"): _fmt(r.kpi, r.before),
            t("upload.col.after"): _fmt(r.kpi, r.after),
            t("upload.col.change"): _fmt(r.kpi, r.change, signed=True),
        }
        for r in changes.itertuples()
    ]
    return pd.DataFrame(rows)


def review(items: list[Item], store: str, user: User) -> None:
    """Offer the dry run, show what it found, and the commit button once it is current."""
    refused = [i.plan.name for i in items if not i.accepted]
    if refused:
        st.warning(t("upload.refused_files", names=md(", ".join(refused))), icon=":material/block:")
    if not any(i.accepted for i in items):
        return
    sig = _signature(items, store)
    if st.button(t("upload.check"), key="upload-check", icon=":material/fact_check:"):
        with st.spinner(t("upload.checking")):
            try:
                result = uploads.dry_run(_path(), store, [i.plan for i in items], data.today())
            except uploads.UploadError as exc:
                st.error(md(exc.text(current_lang())))
                return
            except db.DatabaseBusy as exc:
                st.error(md(exc))
                return
        st.session_state["_upload_dry"] = (sig, result)
    dry = st.session_state.get("_upload_dry")
    if not dry or dry[0] != sig:
        st.caption(t("upload.check_first"))
        return
    result: uploads.UploadResult = dry[1]
    st.markdown(f"**{t('upload.dry_title')}**")
    st.dataframe(_outcomes_frame(result), hide_index=True)
    if result.vanished_vins is not None and not result.vanished_vins.empty:
        st.warning(t("upload.vanished", n=len(result.vanished_vins)), icon=":material/help:")
        vins = result.vanished_vins.rename(
            columns={c: t(f"upload.col.{c}") for c in result.vanished_vins.columns}
        )
        st.dataframe(vins, hide_index=True)
    _kpi_section(result)
    n = len(result.importable)
    if n == 0:
        st.info(t("upload.nothing_to_import"))
        return
    if st.button(t("upload.commit", n=n), type="primary", key="upload-commit"):
        _commit(items, store, user)


def _kpi_section(result: uploads.UploadResult) -> None:
    changes = result.kpi_changes
    months = ", ".join(month_label(m) for m in result.kpi_months)
    if result.kpi_error:
        st.warning(t("upload.kpi_failed", reason=md(result.kpi_error)), icon=":material/warning:")
        return
    if changes is None or changes.empty:
        st.caption(t("upload.kpi_none", months=months or "—"))
        return
    st.markdown(f"**{t('upload.kpi_title', months=months)}**")
    shown = kpi_changes_frame(changes)
    st.dataframe(shown, hide_index=True)
    csv_button(shown, t("upload.download_kpis"), "kpi-changes.csv", key="upload-kpi-dl")
    if result.kpi_months_skipped:
        skipped = ", ".join(month_label(m) for m in result.kpi_months_skipped)
        st.caption(t("upload.kpi_skipped", months=skipped))


def _commit(items: list[Item], store: str, user: User) -> None:
    try:
        result = uploads.commit(_path(), store, [i.plan for i in items], user)
    except db.DatabaseBusy:
        st.warning(t("upload.busy"), icon=":material/hourglass_top:")
        return
    except DatabaseError as exc:  # full disk, read-only or damaged file: nothing was written
        st.error(exc.text(current_lang()), icon=":material/database:")
        return
    except uploads.UploadError as exc:
        st.error(md(exc.text(current_lang())))
        return
    except PermissionError as exc:
        st.error(md(exc))
        return
    done = result.importable
    skipped = [o for o in result.files if o.status == "duplicate"]
    lines = [
        t("upload.done_line", file=o.name, new=o.inserted, upd=o.updated, same=o.unchanged)
        for o in done
    ] + [
        t("upload.already_line", file=o.name, when=local_time(o.already_on, o.stores[0]))
        for o in skipped
    ]
    st.session_state["_upload_notice"] = lines
    st.session_state.pop("_upload_dry", None)
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.session_state["undo_round"] = st.session_state.get("undo_round", 0) + 1
    st.rerun()


def notice() -> None:
    """Show what the last commit or undo did (kept across the rerun that clears the files)."""
    lines = st.session_state.pop("_upload_notice", None)
    if lines:
        st.success("\n\n".join(md(line) for line in lines), icon=":material/task_alt:")


# ------------------------------------------------------------------ history and undo


def history(store: str | None, user: User) -> None:
    """Show who imported what and when, and offer to undo the newest import of a table."""
    log = _history(_path(), data.current().version, store)
    st.subheader(t("upload.history"))
    if log.empty:
        st.caption(t("upload.no_history"))
        return
    zone = _zone(store)
    shown = pd.DataFrame(
        {
            t("upload.col.when"): log["imported_at"]
            .dt.tz_localize("UTC")
            .dt.tz_convert(zone)
            .dt.strftime("%Y-%m-%d %H:%M"),
            t("upload.col.user"): log["username"],
            t("upload.col.store"): log["store"],
            t("upload.col.table"): log["table_name"].map(lambda n: enum_label("table", n)),
            t("upload.col.file"): log["file_name"],
            t("upload.col.size"): (log["file_size"] / 1024).round(1),
            t("upload.col.sha"): log["sha256"].str.slice(0, 12),
            t("upload.col.new"): log["inserted"],
            t("upload.col.updated"): log["updated"],
            t("upload.col.unchanged"): log["unchanged"],
            t("upload.col.rejected"): log["rejected"],
            t("upload.col.undone"): log["undone"].map(lambda u: "↩" if u else ""),
        }
    )
    st.dataframe(shown, hide_index=True)
    csv_button(shown, t("upload.download_history"), "imports.csv", key="upload-history-dl")
    last = log[log["undoable"]].sort_values("import_id", ascending=False)
    if last.empty:
        return
    labels = {
        int(r.import_id): t(
            "upload.undo_option",
            table=enum_label("table", r.table_name),
            file=r.file_name,
            when=local_time(r.imported_at, store),
            user=r.username or "—",
        )
        for r in last.itertuples()
    }
    # Widget keys carry the undo round and the undoable imports: after an import or an undo
    # the selector starts empty (never a stale choice) and the confirm box is a new one
    # that takes its first click.
    rnd = st.session_state.get("undo_round", 0)
    sig = hashlib.sha256(",".join(map(str, labels)).encode()).hexdigest()[:8]
    which = f"undo-which-{rnd}-{sig}"
    # Open while a choice is pending: a rerun that moves the expander (the notice above it
    # goes away) would otherwise fold it up between the choice and the confirmation.
    pending = st.session_state.get(which) is not None
    with st.expander(t("upload.undo"), icon=":material/undo:", expanded=pending):
        chosen: int | None = st.selectbox(
            t("upload.undo_which"),
            list(labels),
            index=None,
            placeholder=t("upload.undo_pick"),
            format_func=labels.get,
            key=which,
        )
        if chosen is None:
            return
        _undo_preview(chosen, store)
        sure = st.checkbox(t("upload.undo_confirm"), key=f"undo-sure-{rnd}-{chosen}")
        if st.button(t("upload.undo_button"), disabled=not sure, key=f"undo-go-{rnd}"):
            _undo(chosen, user)


def _undo_preview(import_id: int, store: str | None) -> None:
    """Say what undoing the import removes and puts back, before it is confirmed."""
    with data.reading(_path()) as con:
        will = uploads.undo_preview(con, import_id)
    if will is None:
        return
    st.warning(
        t(
            "upload.undo_preview",
            rows=will["remove"],
            table=enum_label("table", will["table"]),
            stores=md(", ".join(will["stores"]) or "—"),
            file=md(will["file_name"] or "—"),
            when=local_time(will["imported_at"], store),
            user=md(will["username"] or "—"),
            restored=will["restore"],
        ),
        icon=":material/undo:",
    )


def _undo(import_id: int, user: User) -> None:
    try:
        with data.writing(_path()) as con:
            done = uploads.undo_import(con, user, import_id)
    except db.DatabaseBusy:
        st.warning(t("upload.busy"), icon=":material/hourglass_top:")
        return
    except DatabaseError as exc:  # full disk, read-only or damaged file: nothing was written
        st.error(exc.text(current_lang()), icon=":material/database:")
        return
    except uploads.UploadError as exc:
        st.error(md(exc.text(current_lang())))
        return
    except PermissionError as exc:
        st.error(md(exc))
        return
    st.session_state["_upload_notice"] = [
        t("upload.undone", file=done.file_name, deleted=done.deleted, restored=done.restored)
    ]
    st.session_state["undo_round"] = st.session_state.get("undo_round", 0) + 1
    st.rerun()
