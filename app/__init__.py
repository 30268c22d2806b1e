"""Application layer: use cases over the KPI library and the store database (no streamlit).

digest (the GM's morning message), channels (WeCom, DingTalk, e-mail), alerts (critical KPIs
and the forecast, sent once per day) and config (per-store notification settings, secrets).
"""
