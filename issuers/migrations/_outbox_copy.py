"""Data copies for the migrations that moved every email's status to the outbox (``OutboxEmail``).
Not a migration itself: the loader skips modules whose names start with an underscore."""

# The statuses that link emails and awards kept on their own rows, as outbox statuses.
STATUS = {"pending": "queued", "sending": "sending", "sent": "sent", "failed": "failed", "unknown": "unknown"}


def copy_link_emails(apps, schema_editor, model="issuers.Invitation", kind="invitation"):
    """Each row's email as an outbox row with the same status, error and dates. A link email that was still
    queued gets a new link from the outbox sweep (only the old link's hash was kept)."""
    Model, OutboxEmail = apps.get_model(model), apps.get_model("issuers", "OutboxEmail")  # noqa: N806
    for row in Model._base_manager.all().iterator():
        mail = OutboxEmail.objects.create(
            tenant_id=row.tenant_id, kind=kind, to=row.email, status=STATUS.get(row.email_status, "sent"),
            error=row.email_error, attempts=0 if row.email_status == "pending" else 1,
            created_at=row.created_at, updated_at=row.updated_at, started_at=row.updated_at,
            sent_at=row.email_sent_at)
        Model._base_manager.filter(pk=row.pk).update(mail=mail)


def copy_award_emails(apps, schema_editor):
    Assertion, OutboxEmail = apps.get_model("assertions", "Assertion"), apps.get_model("issuers", "OutboxEmail")  # noqa: N806
    for row in Assertion._base_manager.exclude(email_status="none").iterator():
        mail = OutboxEmail.objects.create(
            tenant_id=row.tenant_id, kind="award", to=row.recipient_identity, status=STATUS[row.email_status],
            error=row.email_error, attempts=row.email_attempts, created_at=row.created_at,
            updated_at=row.updated_at, started_at=row.email_started_at, sent_at=row.email_sent_at)
        Assertion._base_manager.filter(pk=row.pk).update(mail=mail)


def copy_reminders(apps, schema_editor):
    """Reminders were recorded before they were tried: sent, or failed with the error."""
    Reminder, OutboxEmail = apps.get_model("backpack", "ExpiryReminder"), apps.get_model("issuers", "OutboxEmail")  # noqa: N806
    for row in Reminder._base_manager.select_related("assertion").iterator():
        mail = OutboxEmail.objects.create(
            tenant_id=row.assertion.tenant_id, kind="expiry_reminder", to=row.assertion.recipient_identity,
            status="sent" if row.sent_at else "failed", error=row.error, attempts=1, created_at=row.created_at,
            updated_at=row.sent_at or row.created_at, started_at=row.created_at, sent_at=row.sent_at)
        Reminder._base_manager.filter(pk=row.pk).update(mail=mail)
