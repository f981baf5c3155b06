"""The review console (FastAPI + Jinja2): `lantian console`."""
