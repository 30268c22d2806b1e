"""The dealership KPI dashboard: page setup, navigation, the shared sidebar; nothing else.

Run with `make run` (demo store) or `KPI_DB=path streamlit run dashboard.py`.
"""

import streamlit as st

from ui import auth, data, drill, first_run, sidebar, theme, tv
from ui.i18n import current_lang, t
from ui.nav import NavItem, navigation
from warehouse.db import DatabaseBusy
from warehouse.errors import DatabaseError

# One entry per page; a later page (upload, TV, targets, group view) is one more entry.
PAGES = [
    NavItem(
        "pages/overview.py",
        "page.overview",
        ":material/dashboard:",
        "nav.management",
        "overview",
        default=True,
        reads_only=True,
    ),
    NavItem(
        "pages/sales.py",
        "page.sales",
        ":material/directions_car:",
        "nav.management",
        "sales",
        reads_only=True,
    ),
    NavItem(
        "pages/consultant.py",
        "page.consultant",
        ":material/badge:",
        "nav.management",
        "consultant",
        reads_only=True,
    ),
    NavItem(
        "pages/inventory.py",
        "page.inventory",
        ":material/warehouse:",
        "nav.management",
        "inventory",
        reads_only=True,
    ),
    NavItem(
        "pages/service.py",
        "page.service",
        ":material/build:",
        "nav.management",
        "service",
        reads_only=True,
    ),
    NavItem(
        "pages/workshop.py",
        "page.workshop",
        ":material/engineering:",
        "nav.management",
        "workshop",
        reads_only=True,
    ),
    NavItem(
        "pages/order_planning.py",
        "page.order_planning",
        ":material/local_shipping:",
        "nav.management",
        "order_planning",
        reads_only=True,
    ),
    NavItem(
        "pages/manufacturer.py",
        "page.manufacturer",
        ":material/factory:",
        "nav.management",
        "manufacturer",
        reads_only=True,
    ),
    NavItem(
        "pages/marketing.py",
        "page.marketing",
        ":material/campaign:",
        "nav.management",
        "marketing",
        reads_only=True,
    ),
    NavItem(
        "pages/customers.py",
        "page.customers",
        ":material/groups:",
        "nav.management",
        "customers",
        reads_only=True,
    ),
    NavItem(
        "pages/finance.py",
        "page.finance",
        ":material/payments:",
        "nav.management",
        "finance",
        reads_only=True,
    ),
    NavItem("pages/targets.py", "page.targets", ":material/flag:", "nav.management", "targets"),
    NavItem(
        "pages/group.py", "page.group", ":material/hub:", "nav.management", "group", reads_only=True
    ),
    NavItem("pages/data_status.py", "page.data", ":material/database:", "nav.data", "data_status"),
    NavItem(
        "pages/upload.py",
        "page.upload",
        ":material/upload_file:",
        "nav.admin",
        "upload",
        role="manager",
    ),
    NavItem(
        "pages/users.py",
        "page.users",
        ":material/manage_accounts:",
        "nav.admin",
        "users",
        role="manager",
    ),
    NavItem(
        "pages/settings.py",
        "page.settings",
        ":material/settings:",
        "nav.admin",
        "settings",
        role="manager",
    ),
    NavItem("pages/kanban.py", "page.kanban", ":material/tv:", "nav.showroom", "kanban"),
    NavItem(
        "pages/reception.py",
        "page.reception",
        ":material/how_to_reg:",
        "nav.showroom",
        "reception",
        role="staff",
    ),
]
# The pages that only read (their KPI calls share one connection). Streamlit serves the
# default page at "/": its url_path is "" there.
READS_ONLY = {item.url_path for item in PAGES if item.reads_only}
READS_ONLY |= {"" for item in PAGES if item.default and item.reads_only}
TV_MODE = tv.is_tv(st.query_params)  # the showroom TV (docs/TV.md): no menu, no sidebar

sidebar.init_language()
st.set_page_config(page_title=t("app.title"), page_icon=":material/speed:", layout="wide")
page = tv.navigation(PAGES) if TV_MODE else navigation(PAGES)
if not TV_MODE:
    theme.phone_layout()  # a GM's phone: two cards a row, tables scroll in place
try:
    source = data.probe()
    st.session_state["_source"] = source
    if source.state != "ok" and not auth.setup_page(page):
        first_run.render(source)
        auth.sidebar_widget()
    else:
        tv_board = TV_MODE and page.url_path == "kanban"  # the TV shows only the board
        if not tv_board:
            auth.sidebar_widget()  # signs in and out: before the shared connection opens
        reads_only = page.url_path in READS_ONLY
        # The sidebar's reads, and a reading page's, share one connection (data.batch).
        with data.batch():
            if not tv_board:
                sidebar.render(page.url_path)
            # One access decision per rerun, on the store the page shows (docs/AUTH.md).
            auth.require_view(auth.decide(page.url_path, tv_board))
            if reads_only:
                page.run()
        if not reads_only:
            page.run()
        drill.show_open()  # the records a card or chart point opened (after the page's gate)
except DatabaseError as exc:  # busy, full disk, read-only, damaged or newer file: a sentence
    if TV_MODE and page.url_path == "kanban":
        page.run()  # the TV keeps its last board and says it is reconnecting (pages/kanban.py)
    elif isinstance(exc, DatabaseBusy):
        st.warning(t("common.db_busy"), icon=":material/hourglass_top:")
    else:
        st.error(exc.text(current_lang()), icon=":material/database:")
