"""The PostGIS store: ORM tables and Alembic migrations (``msa db upgrade``)."""
