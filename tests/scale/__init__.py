"""Multi-process scenarios: several daphne and db_worker processes over PostgreSQL and Redis."""
