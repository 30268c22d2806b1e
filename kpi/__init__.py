"""The KPI library: pure functions over the store's DuckDB tables (no streamlit, no files)."""
