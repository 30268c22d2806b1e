"""A consultant's page: their month and last 12 months, monthly rank, store average (issue 17)."""

from ui import consultant_view, sidebar

consultant_view.render(sidebar.context())
