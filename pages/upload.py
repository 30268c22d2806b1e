"""Upload: import DMS exports, several files at once: check each file, see what would change,
import them together; the import history with undo. Managers only (docs/UPLOADS.md)."""

import streamlit as st

from app.uploads import FILE_TYPES, MAX_FILE_MB
from ui import auth, sidebar, upload_view
from ui.i18n import t

user = auth.require_role("manager")
ctx = sidebar.context()

st.title(t("upload.title"))
st.caption(t("upload.caption", mb=MAX_FILE_MB))
upload_view.notice()

store = upload_view.store_picker(ctx.store)
files = st.file_uploader(
    t("upload.files"),
    type=list(FILE_TYPES),
    accept_multiple_files=True,
    key=f"upload-files-{st.session_state.get('upload_round', 0)}",
    # The uploader refuses bigger files itself; the page checks again with its own message.
    max_upload_size=MAX_FILE_MB,
    help=t("upload.files_help"),
)

if store and files:
    items = []
    for number, upload in enumerate(upload_view.distinct(files), 1):
        with st.container(border=True):
            item = upload_view.file_panel(number, upload, store)
        if item is not None:
            items.append(item)
    if items:
        upload_view.review(items, store, user)

upload_view.history(store, user)
