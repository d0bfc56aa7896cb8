"""Indexes for finding an address whatever its case. Django writes ``email__iexact`` as
``UPPER(email::text) = UPPER(%s)`` on PostgreSQL, which a plain index on ``email`` cannot answer: every
"whose address is this" (sign-in, claims, the pathway worker's per-learner check, the outcomes
funnels) was a sequential scan of the address table. SQLite (the embedded ``make run``) compares
case-insensitively with ``LIKE`` and has small tables: nothing to do there."""

from django.db import migrations

from accounts.migrations._postgres_indexes import postgres_indexes

INDEXES = {
    "emailaddress_upper_email": "account_emailaddress (UPPER(email::text))",
    "user_upper_email": "accounts_user (UPPER(email::text))",
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("account", "0009_emailaddress_unique_primary_email")]
    operations = [postgres_indexes(INDEXES)]
