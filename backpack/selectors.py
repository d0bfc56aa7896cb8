"""Reads for the learner layer.

A learner is not a member of any college, so reading their awards leaves the tenant scope on
purpose. Every such read is in this module and fetches only assertions sent to one of the user's
*verified* addresses or claimed by them: that filter is the learner's equivalent of the tenant scope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Concat, NullIf
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from accounts import selectors as account_selectors
from assertions import documents
from assertions.models import Assertion
from backpack.models import BackpackEntry, Collection, CollectionItem, Visibility
from issuers.scoping import unscoped
from verification.links import BadgeInput, LinkedBadges

_T = TypeVar("_T")
_RELATED = ("badge_class__issuer", "tenant", "signing_key", "claimed_by")


def verified_emails(user: Any) -> set[str]:
    """The addresses the learner proved: an address merely typed into the account shows no badge."""
    return account_selectors.user_verified_emails(user=user)


def _own_filter(user: Any) -> Q:
    emails = verified_emails(user)
    return Q(claimed_by=user) | Q(recipient_type=Assertion.RecipientType.EMAIL, recipient_identity__in=emails)


def _own(user: Any, read: Callable[[QuerySet[Assertion]], _T]) -> _T:
    with unscoped("a learner's own awards across colleges: sent to their verified addresses or claimed by them"):
        return read(Assertion.objects.filter(_own_filter(user)))


def learner_assertions(user: Any) -> list[Assertion]:
    """Every award of ours that belongs to ``user``, from every college."""
    return _own(user, lambda awards: list(awards.select_related(*_RELATED)))


def learner_assertion_ids(user: Any) -> set[int]:
    """The primary keys of ``learner_assertions``: what the backpack's pages check entries against."""
    return _own(user, lambda awards: set(awards.values_list("pk", flat=True)))


def assertion_for_public_id(public_id: UUID | str) -> Assertion | None:
    """One award by its public id, for pages that anyone with the link may see (share, claim)."""
    with unscoped("an award by its public id, of any college, for the pages its link opens (share, claim)"):
        try:
            return Assertion.objects.select_related(*_RELATED).filter(public_id=public_id).first()
        except (ValueError, TypeError):
            return None


def entries_sync(user: Any, owned: set[int] | None = None) -> None:
    """Give every award of the learner (``owned``: their ids, when the caller has them) an entry, their
    settings for it. Idempotent."""
    owned = learner_assertion_ids(user) if owned is None else owned
    have = set(BackpackEntry.objects.filter(user=user, assertion__isnull=False).values_list("assertion_id", flat=True))
    newest_first = sorted(owned - have, reverse=True)  # as the awards are listed: entries keep that order
    BackpackEntry.objects.bulk_create([BackpackEntry(user=user, assertion_id=pk) for pk in newest_first],
                                      ignore_conflicts=True)


@dataclass
class Item:
    """A badge as the backpack shows it, ours or imported, in one shape."""

    entry: BackpackEntry
    name: str
    description: str
    issuer_name: str
    image_url: str | None
    issued_on: datetime | None
    expires: datetime | None
    status: str  # valid, expired, revoked, invalid, declined
    imported: bool
    assertion: Assertion | None = None

    @property
    def public_id(self) -> UUID:
        return self.entry.public_id

    @property
    def zone(self) -> Any:
        """Whose time zone shows its dates: our award's college; an imported badge's are shown in UTC."""
        return self.assertion.tenant if self.assertion is not None else None

    @property
    def status_label(self) -> str:
        return {"valid": "Valid", "expired": "Expired", "revoked": "Revoked", "invalid": "Not verified",
                "declined": "Declined"}.get(self.status, self.status)

    @property
    def status_class(self) -> str:
        return {"valid": "ok", "expired": "warn"}.get(self.status, "bad")


_ID_PLACEHOLDER = UUID(int=0)
_URL_TEMPLATES: dict[tuple[str, str], str] = {}


def url_with_id(name: str, public_id: UUID) -> str:
    """``reverse(name, args=[public_id])`` for a URL whose one argument is a UUID, at the cost of a string
    replace: a backpack reverses two URLs per card, and 300 cards' ``reverse()`` was a fifth of the page."""
    key = (name, get_script_prefix())
    template = _URL_TEMPLATES.get(key)
    if template is None:
        template = _URL_TEMPLATES[key] = reverse(name, args=[_ID_PLACEHOLDER])
    return template.replace(str(_ID_PLACEHOLDER), str(public_id))


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def badge_issued_at(badge: dict[str, Any]) -> datetime | None:
    """An imported badge's issue moment (``ImportedBadge.issued_at``); a time without a zone is taken as UTC."""
    moment = _parse_time(badge.get("issued_on"))
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def item_of(entry: BackpackEntry) -> Item:
    now = timezone.now()
    if entry.assertion_id is not None:
        a = entry.assertion
        assert a is not None  # assertion_id is set
        status = "revoked" if a.revoked else "expired" if a.expires and a.expires <= now else "valid"
        if entry.declined_at:
            status = "declined"
        return Item(entry=entry, name=a.badge_class.name, description=a.badge_class.description,
                    issuer_name=a.badge_class.issuer.name,
                    image_url=url_with_id("public:badge_image", a.badge_class.public_id),
                    issued_on=a.issued_on, expires=a.expires, status=status, imported=False, assertion=a)
    imp = entry.imported
    assert imp is not None  # the constraint entry_is_ours_or_imported: not ours, so imported
    expires = _parse_time(imp.badge.get("expires"))
    status = imp.verdict
    if status == "valid" and expires and expires <= now:
        status = "expired"
    return Item(entry=entry, name=imp.badge.get("name") or "Imported badge",
                description=imp.badge.get("description") or "", issuer_name=imp.issuer.get("name") or "Unknown issuer",
                image_url=imp.badge.get("image"), issued_on=_parse_time(imp.badge.get("issued_on")), expires=expires,
                status=status, imported=True)


def _entries(user: Any) -> QuerySet[BackpackEntry]:
    return BackpackEntry.objects.filter(user=user).select_related(
        "imported", "assertion__badge_class__issuer", "assertion__tenant", "assertion__claimed_by")


def backpack_items(user: Any, *, query: str = "", include_declined: bool = False) -> list[Item]:
    """The learner's grid: ours (sent to a verified address or claimed) and imported, newest first."""
    owned = learner_assertion_ids(user)
    entries_sync(user, owned)
    items = []
    for entry in _entries(user):
        # An address removed from the account takes its (unclaimed) awards out of the backpack.
        if entry.assertion_id is not None and entry.assertion_id not in owned:
            continue
        if entry.declined_at and not include_declined:
            continue
        items.append(item_of(entry))
    items.sort(key=lambda i: i.issued_on or i.entry.created_at, reverse=True)
    return items_matching(items, query)


CARDS_PER_PAGE = 60


@dataclass
class CardPage:
    """One page of the backpack's grid: ``cards`` as (item, its page's URL), and the cursor of the next."""

    cards: list[tuple[Item, str]]
    total: int
    after: str | None  # the last shown card's entry id, when more follow
    start: int  # how many cards come before this page

    @property
    def end(self) -> int:
        return self.start + len(self.cards)

    @property
    def partial(self) -> bool:
        """Not every card is on this page."""
        return self.total > len(self.cards)


# The grid's order: our award's issue moment, an import's, else when the badge was added; newest first. The
# same order as ``backpack_items`` (the entries' own order, newest added first, breaks ties), in SQL.
_SHOWN = Coalesce("assertion__issued_on", "imported__issued_at", "created_at")
_GRID_ORDER = ("-shown", "-created_at", "-pk")


def _text(ours: str, imported: str, key: str, otherwise: str) -> Coalesce:
    """A card's text, as ``item_of`` shows it: our badge's, else the import's ``key`` (empty or missing:
    ``otherwise``)."""
    return Coalesce(ours, NullIf(KeyTextTransform(key, imported), Value("")), Value(otherwise),
                    output_field=TextField())


_SEARCHED = Concat(
    _text("assertion__badge_class__name", "imported__badge", "name", "Imported badge"), Value(" "),
    _text("assertion__badge_class__issuer__name", "imported__issuer", "name", "Unknown issuer"), Value(" "),
    _text("assertion__badge_class__description", "imported__badge", "description", ""),
    output_field=TextField())


# What a card shows (``item_of``, ``_card.html``): the page's 60 rows read with the award's, badge's, issuer's
# and college's every column took most of the page's time to turn into instances.
_CARD_FIELDS = (
    "user_id", "public_id", "assertion_id", "imported_id", "visibility", "declined_at", "created_at",
    "imported__badge", "imported__issuer", "imported__verdict",
    "assertion__tenant_id", "assertion__badge_class_id", "assertion__issued_on", "assertion__expires",
    "assertion__revoked", "assertion__public_id", "assertion__tenant__timezone",
    "assertion__badge_class__public_id", "assertion__badge_class__name", "assertion__badge_class__description",
    "assertion__badge_class__issuer_id", "assertion__badge_class__issuer__name",
)


def _cards(user: Any) -> QuerySet[BackpackEntry]:
    return (BackpackEntry.objects.filter(user=user)
            .select_related("imported", "assertion__badge_class__issuer", "assertion__tenant").only(*_CARD_FIELDS))


def _grid(user: Any, owned: set[int], *, declined: bool) -> QuerySet[BackpackEntry]:
    # An address removed from the account takes its (unclaimed) awards out of the backpack: only ``owned``.
    return (BackpackEntry.objects.filter(user=user).filter(Q(assertion_id__in=owned) | Q(assertion__isnull=True))
            .filter(declined_at__isnull=not declined))


def _after(ordered: QuerySet[BackpackEntry], after: str) -> Q | None:
    """The cards following the card ``after`` in the grid's order, as a filter; None for an unknown card."""
    try:
        mark = (ordered.filter(public_id=after)
                .values("shown", "created_at", "pk").first() if after else None)  # type: ignore[misc]  # annotated
    except ValidationError:  # not a UUID
        mark = None
    if mark is None:
        return None
    shown, created, pk = mark["shown"], mark["created_at"], mark["pk"]
    return Q(shown__lt=shown) | Q(shown=shown, created_at__lt=created) | Q(shown=shown, created_at=created, pk__lt=pk)


def backpack_grid(user: Any, *, query: str = "", after: str = "", size: int = CARDS_PER_PAGE,
                  ) -> tuple[CardPage, list[Item]]:
    """The backpack's page: up to ``size`` cards (not declined, matching ``query``) following the card
    ``after`` (an entry's public id; unknown or empty: from the first), and the declined badges. The
    database orders, searches and cuts the grid (keyset on its order), so a page reads and builds the
    cards it shows, with the same few queries, however many badges the learner holds. The page's ids are
    read first, joining only what orders them, then their rows: sorting the learner's every entry joined
    to its award, badge, issuer and college took ten times as long, most of it planning."""
    owned = learner_assertion_ids(user)
    entries_sync(user, owned)
    declined = [item_of(entry) for entry in _entries(user).filter(pk__in=_grid(user, owned, declined=True))
                .annotate(shown=_SHOWN).order_by(*_GRID_ORDER)]
    grid = _grid(user, owned, declined=False)
    query = query.strip()
    if query:
        grid = grid.alias(searched=_SEARCHED).filter(searched__icontains=query)
    ordered = grid.annotate(shown=_SHOWN)
    following = _after(ordered, after)
    start = ordered.exclude(following).count() if following is not None else 0
    shown = ordered.filter(following) if following is not None else ordered
    ids = list(shown.order_by(*_GRID_ORDER).values_list("pk", flat=True)[:size + 1])
    more = len(ids) > size
    rows = _cards(user).in_bulk(ids[:size])
    cards = [(item_of(rows[pk]), url_with_id("backpack:badge", rows[pk].public_id)) for pk in ids[:size]]
    total = grid.count() if more else start + len(cards)
    return CardPage(cards=cards, total=total, after=str(cards[-1][0].public_id) if more else None,
                    start=start), declined


def items_matching(items: list[Item], query: str) -> list[Item]:
    """The learner's search box: the items whose badge name, issuer or description contain ``query``."""
    query = query.strip().lower()
    if not query:
        return items
    return [i for i in items if query in f"{i.name} {i.issuer_name} {i.description}".lower()]


def entry_of_user(user: Any, public_id: UUID | str) -> BackpackEntry | None:
    """The learner's own entry, or None (another learner's ids find nothing)."""
    try:
        entry = _entries(user).filter(public_id=public_id).first()
    except (ValueError, TypeError):
        return None
    if entry is None or entry.assertion_id is None:
        return entry
    return entry if entry.assertion_id in learner_assertion_ids(user) else None


def share_entry(assertion: Assertion) -> BackpackEntry | None:
    """The learner's settings for an award: the claimer's entry, else the entry of a verified owner."""
    entries = BackpackEntry.objects.filter(assertion=assertion).select_related("user")
    if assertion.claimed_by_id:
        return entries.filter(user_id=assertion.claimed_by_id).first()
    owners = EmailAddress.objects.filter(email__iexact=assertion.recipient_identity, verified=True).values("user_id")
    return entries.filter(user_id__in=owners).first()


def collection_items(collection: Collection, *, public: bool) -> list[Item]:
    """The badges of a collection; on its public page only those the learner shows (not private or declined)."""
    items = []
    owned = learner_assertion_ids(collection.user)
    ids = CollectionItem.objects.filter(collection=collection).values_list("entry_id", flat=True)
    order = {pk: n for n, pk in enumerate(ids)}
    for entry in _entries(collection.user).filter(pk__in=order):
        if entry.assertion_id is not None and entry.assertion_id not in owned:
            continue
        if public and (entry.visibility == Visibility.PRIVATE or entry.declined_at):
            continue
        items.append(item_of(entry))
    items.sort(key=lambda i: order[i.entry.pk])
    return items


_SHARE_PATH = re.compile(r"^/s/([0-9a-fA-F-]{36})/?$")
_COLLECTION_PATH = re.compile(r"^/c/([0-9a-fA-F-]{36})/?$")
_BACKPACK_BADGE_PATH = re.compile(r"^/backpack/badges/([0-9a-fA-F-]{36})/?$")


def _badge_input(item: Item) -> BadgeInput:
    """How the verifier takes one badge of a collection: ours by its URL, an import as it was given."""
    if item.assertion is not None:
        return BadgeInput(url=documents.public_url("assertions", item.assertion.public_id))
    imported = item.entry.imported
    assert imported is not None  # an entry is ours or imported
    if imported.source in (imported.Source.PNG, imported.Source.SVG):
        return BadgeInput(image=bytes(imported.original))
    if imported.source == imported.Source.URL and imported.assertion_url:
        return BadgeInput(url=imported.assertion_url)
    return BadgeInput(text=bytes(imported.original).decode("utf-8", "replace"))


def linked_badges_of_path(path: str) -> LinkedBadges | None:
    """For the verifier (``verification.links.OUR_PAGES``): the badges a share or collection page shows.
    A share page is its award (verification never depends on the learner's visibility choices); a
    collection shows what its public page shows, and nothing when that page is private."""
    share = _SHARE_PATH.match(path)
    if share:
        return LinkedBadges(badges=[BadgeInput(url=documents.public_url("assertions", share.group(1)))])
    own = _BACKPACK_BADGE_PATH.match(path)
    if own:  # the learner's own badge page (behind their login), copied from the address bar
        entry = BackpackEntry.objects.filter(public_id=own.group(1)).select_related("imported").first()
        return LinkedBadges(badges=[_badge_input(item_of(entry))] if entry is not None else [])
    match = _COLLECTION_PATH.match(path)
    if not match:
        return None
    try:
        collection = Collection.objects.filter(public_id=match.group(1)).select_related("user").first()
    except ValidationError:  # not a UUID after all
        collection = None
    if collection is None or collection.visibility == Visibility.PRIVATE:
        return LinkedBadges(badges=[], collection="")
    return LinkedBadges(badges=[_badge_input(i) for i in collection_items(collection, public=True)],
                        collection=collection.name)
