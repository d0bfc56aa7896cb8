"""Learner pages: claim, the backpack, collections, import/export, share pages. Thin: services do the work.

Backpack pages are login-required and find only the learner's own rows (``selectors.entry_of_user``),
so another learner's id is a 404. Share and collection pages are public by link and read-only.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors as account_selectors
from accounts.http import SignedInRequest
from assertions import documents, links
from backpack import forms, selectors, services
from backpack.models import BackpackEntry, Collection, Visibility
from backpack.panels import badge_panels
from pathways.selectors import learner_progress
from verification.views import gone_when_removed

AUTH_BACKEND = "accounts.backends.AuthenticationBackend"


def _error(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)


def _posted(request: HttpRequest) -> Any:
    """The POST data of a POST (even an empty one, so the form shows what is missing), else None."""
    return request.POST if request.method == "POST" else None


def _own_entry(view: Any) -> Any:
    """Resolve ``public_id`` to the learner's own entry, else 404."""
    @wraps(view)
    def wrapper(request: HttpRequest, public_id: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        entry = selectors.entry_of_user(request.user, public_id)
        if entry is None:
            raise Http404("No such badge in your backpack.")
        return view(request, entry, *args, **kwargs)
    return login_required(wrapper)


# --- claim ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def claim(request: HttpRequest, token: str) -> HttpResponse:
    """The award email's button. GET never claims (mail scanners open links); the learner presses Claim."""
    read = links.claim_token_read(token)
    assertion = selectors.assertion_for_public_id(read[0]) if read else None
    if assertion is None or read is None or assertion.claim_nonce != read[1]:
        return render(request, "backpack/claim_invalid.html", status=410 if read else 404)
    user = request.user
    if assertion.claimed_by_id is not None:
        if user.is_authenticated and assertion.claimed_by_id == user.pk:
            entry = services.assertion_claim(assertion=assertion, user=user)
            return redirect("backpack:badge", entry.public_id)
        return render(request, "backpack/claim_done_elsewhere.html", {"assertion": assertion}, status=409)
    context: dict[str, Any] = {"assertion": assertion, "badge": assertion.badge_class, "brand_tenant": assertion.tenant,
                               "issuer": assertion.badge_class.issuer, "email": assertion.recipient_identity,
                               "image_url": reverse("public:badge_image", args=[assertion.badge_class.public_id])}
    if not user.is_authenticated:
        return _claim_anonymous(request, assertion, context)
    action = request.POST.get("action") if request.method == "POST" else None
    owns = assertion.recipient_identity.lower() in selectors.verified_emails(user)
    if action == "claim" or action == "decline":
        try:
            if action == "decline":
                services.assertion_decline(assertion=assertion, user=user)
                messages.success(request, f"You declined “{assertion.badge_class.name}”. It is hidden from your "
                                          "pages.")
                return redirect("backpack:home")
            entry = services.assertion_claim(assertion=assertion, user=user)
        except (ValidationError, PermissionDenied) as exc:
            _error(request, exc)
            return redirect(request.path)
        messages.success(request, f"“{assertion.badge_class.name}” is in your backpack.")
        return redirect("backpack:badge", entry.public_id)
    if action == "add_email" and not owns:
        EmailAddress.objects.add_email(request, user, assertion.recipient_identity, confirm=True)
        messages.info(request, f"We sent a link to {assertion.recipient_identity}. Open it to prove the address is "
                               "yours, then open this claim link again.")
        return redirect(request.path)
    pending = EmailAddress.objects.filter(user=user, email__iexact=assertion.recipient_identity, verified=False)
    return render(request, "backpack/claim.html", {**context, "owns": owns, "pending": pending.exists()})


def _claim_anonymous(request: HttpRequest, assertion: Any, context: dict[str, Any]) -> HttpResponse:
    email = assertion.recipient_identity
    has_account = services.learner_account_exists(email=email)
    login_url = reverse("account_login") + "?" + urlencode({"next": request.path})
    if has_account:
        return _claim_into_account(request, assertion, context, login_url)
    form = forms.ClaimSignupForm(_posted(request), email=email, name=assertion.recipient_name)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.learner_signup_from_claim(assertion=assertion, password=form.cleaned_data["password1"],
                                                      name=form.cleaned_data["name"])
            login(request, user, backend=AUTH_BACKEND)
            entry = services.assertion_claim(assertion=assertion, user=user)
        except (ValidationError, PermissionDenied) as exc:
            _error(request, exc)
        else:
            messages.success(request, f"Welcome! “{assertion.badge_class.name}” is in your backpack.")
            return redirect("backpack:badge", entry.public_id)
    return render(request, "backpack/claim_signup.html", {**context, "form": form, "login_url": login_url},
                  status=400 if request.method == "POST" else 200)


def _claim_into_account(request: HttpRequest, assertion: Any, context: dict[str, Any], login_url: str) -> HttpResponse:
    """A learner whose account already has the address: one click claims it (no sign-in needed)."""
    if request.method == "POST" and request.POST.get("action") == "claim":
        try:
            entry = services.assertion_claim_by_link(assertion=assertion)
        except (ValidationError, PermissionDenied) as exc:
            _error(request, exc)
        else:
            if entry is not None:
                badge_url = reverse("backpack:badge", args=[entry.public_id])
                return render(request, "backpack/claim_login.html", {
                    **context, "claimed": True,
                    "login_url": reverse("account_login") + "?" + urlencode({"next": badge_url})})
    return render(request, "backpack/claim_login.html", {
        **context, "login_url": login_url,
        "one_click": account_selectors.user_by_verified_email(email=assertion.recipient_identity) is not None})


# --- the backpack ----------------------------------------------------------------------------------


@login_required
@require_safe
def home(request: SignedInRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    page, declined = selectors.backpack_grid(request.user, query=query, after=request.GET.get("after", "")[:64])
    emails = EmailAddress.objects.filter(user=request.user).order_by("-verified", "email")
    more_url = None
    if page.after:
        more_url = "?" + urlencode({**({"q": query} if query else {}), "after": page.after})
    return render(request, "backpack/home.html", {
        "items": [item for item, _ in page.cards], "page": page, "more_url": more_url, "query": query,
        "declined": declined, "emails": emails,
        "collections": Collection.objects.filter(user=request.user),
        "pathways": learner_progress([e.email for e in emails if e.verified]),
    })


def _share_tools(item: selectors.Item) -> dict[str, Any]:
    a = item.assertion
    if a is None:
        return {}
    share = links.share_url(a)
    title = f"I earned “{a.badge_class.name}” from {a.badge_class.issuer.name}"
    return {
        "share_url": share,
        "linkedin_add_url": links.linkedin_add_url(a),
        "linkedin_share_url": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": share}),
        "mailto_url": f"mailto:?subject={quote(title)}&body={quote(title + ': ' + share)}",
        # Built by the template engine, which escapes every value: a badge name with quotes or markup
        # stays text inside the alt attribute. The page escapes the snippet once more to show it.
        "embed": render_to_string("backpack/_embed.html", {
            "share_url": share, "badge_name": a.badge_class.name, "issuer_name": a.badge_class.issuer.name}).strip(),
        "verify_url": links.verify_url(a),
    }


@_own_entry
@require_http_methods(["GET", "HEAD", "POST"])
def badge(request: SignedInRequest, entry: BackpackEntry) -> HttpResponse:
    item = selectors.item_of(entry)
    form = forms.EntrySettingsForm(_posted(request), initial={
        "visibility": entry.visibility, "show_name": entry.show_name, "indexable": entry.indexable})
    if request.method == "POST":
        if form.is_valid():
            services.entry_update(entry=entry, **form.cleaned_data)
            messages.success(request, "Saved who can see this badge.")
            return redirect("backpack:badge", entry.public_id)
        messages.error(request, "Choose who can see this badge.")
    a = item.assertion
    return render(request, "backpack/badge.html", {
        "item": item, "entry": entry, "form": form, "assertion": a, "brand_tenant": a.tenant if a else None,
        "badge": a.badge_class if a else None, "imported": entry.imported if entry.imported_id else None,
        "claimable": a is not None and a.claimed_by_id is None and not a.revoked,
        "collections": Collection.objects.filter(user=request.user),
        "in_collections": Collection.objects.filter(user=request.user, items__entry=entry),
        "panels": badge_panels(request, a) if a is not None and item.status != "declined" else [],
        **_share_tools(item),
    })


@_own_entry
@require_POST
def badge_action(request: SignedInRequest, entry: BackpackEntry) -> HttpResponse:
    action = request.POST.get("action")
    try:
        if action == "claim" and entry.assertion is not None:
            services.assertion_claim(assertion=entry.assertion, user=request.user)
            messages.success(request, "Claimed: this badge is now linked to your account.")
        elif action == "decline":
            services.entry_decline(entry=entry)
            messages.success(request, "Declined: the badge is hidden from your pages. You can restore it.")
            return redirect("backpack:home")
        elif action == "restore":
            services.entry_restore(entry=entry)
            messages.success(request, "Restored to your backpack.")
        elif action == "recheck" and entry.imported is not None:
            services.imported_recheck(imported=entry.imported)
            messages.success(request, "Checked again just now.")
        elif action == "remove" and entry.imported_id:
            services.entry_delete_import(entry=entry)
            messages.success(request, "Removed the imported badge.")
            return redirect("backpack:home")
        elif action == "linkedin" and entry.assertion_id:
            # Sent by the page's script as the learner follows "Add to LinkedIn profile": count, no page.
            _count("linkedin", entry.assertion)
            return HttpResponse(status=204)
        elif action == "add_to_collection":
            collection = get_object_or_404(Collection, user=request.user, public_id=request.POST.get("collection"))
            services.collection_add(collection=collection, entry=entry)
            messages.success(request, f"Added to “{collection.name}”.")
        else:
            messages.error(request, "Unknown action.")
    except (ValidationError, PermissionDenied) as exc:
        _error(request, exc)
    return redirect("backpack:badge", entry.public_id)


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


OB3_DOWNLOADS = ("ob3-json", "ob3-jwt", "ob3-image")


@_own_entry
@require_safe
def download(request: SignedInRequest, entry: BackpackEntry, kind: str) -> HttpResponse:
    name = services.file_slug(selectors.item_of(entry).name)
    if entry.imported_id:
        imp = entry.imported
        assert imp is not None  # imported_id is set
        if kind != "original":
            raise Http404("Imported badges are exported exactly as they were imported.")
        return _attachment(bytes(imp.original), imp.content_type, f"{name}.{imp.extension}")
    a = entry.assertion
    assert a is not None  # the constraint entry_is_ours_or_imported: not imported, so ours
    if kind in ("json", "image", "png", *OB3_DOWNLOADS):
        _count("download", a)
    if kind in OB3_DOWNLOADS:
        if kind == "ob3-image" and a.revoked:
            raise Http404("This badge has been revoked.")
        data, content_type, ext = services.ob3_download(a, kind)
        return _attachment(data, content_type, f"{name}-ob3.{ext}")
    if kind == "json":
        return _attachment(documents.serialize(documents.assertion_document(a)), "application/ld+json",
                           f"{name}.json")
    if kind == "image":
        if a.revoked:
            raise Http404("This badge has been revoked.")
        data, ext = services.baked_image(a)
        return _attachment(data, "image/png" if ext == "png" else "image/svg+xml", f"{name}.{ext}")
    if kind == "png":  # every badge, SVG ones too: many sites take only PNG
        if a.revoked:
            raise Http404("This badge has been revoked.")
        return _attachment(services.baked_png(a), "image/png", f"{name}.png")
    raise Http404("Unknown download.")


@_own_entry
@require_safe
def certificate(request: SignedInRequest, entry: BackpackEntry) -> HttpResponse:
    import segno

    if not entry.assertion_id:
        raise Http404("Certificates are for badges awarded here.")
    a = entry.assertion
    assert a is not None  # assertion_id is set
    verify = links.verify_url(a)
    qr = segno.make(verify, error="m").svg_inline(scale=4, border=2, title="QR code: verify this badge",
                                                 omitsize=True)  # a viewBox: CSS sizes it for screen and print
    return render(request, "backpack/certificate.html", {
        "assertion": a, "badge": a.badge_class, "issuer": a.badge_class.issuer, "tenant": a.tenant,
        "brand_tenant": a.tenant,
        "learner_name": request.user.name or a.recipient_name or request.user.email, "verify_url": verify, "qr": qr,
        "image_url": reverse("public:badge_image", args=[a.badge_class.public_id]), "item": selectors.item_of(entry),
        "orientation": a.tenant.certificate_orientation,
        "ob2_url": documents.public_url("assertions", a.public_id), "ob3_url": links.credential_url(a.public_id),
    })


@login_required
@require_safe
def export_all(request: SignedInRequest) -> HttpResponse:
    return _attachment(services.backpack_zip(user=request.user), "application/zip", "my-badges.zip")


@login_required
@require_safe
def export_data(request: SignedInRequest) -> HttpResponse:
    data = json.dumps(services.backpack_data(user=request.user), indent=2, ensure_ascii=False).encode()
    return _attachment(data, "application/json", "my-data.json")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_badge(request: SignedInRequest) -> HttpResponse:
    form = forms.ImportForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("image")
        try:
            if upload is not None and upload.size > services.MAX_IMPORT_BYTES:
                raise ValidationError("The file is too large; the limit is 5 MB.")
            entry = services.badge_import(
                user=request.user, data=upload.read() if upload else None, filename=upload.name if upload else "",
                text=None if upload else form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Imported and verified.")
            return redirect("backpack:badge", entry.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "backpack/import.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request: SignedInRequest) -> HttpResponse:
    form = forms.DeleteAccountForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["password"]):
            form.add_error("password", "That is not your password.")
        else:
            try:
                services.learner_delete(user=request.user)
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                from django.contrib.auth import logout

                logout(request)
                messages.success(request, "Your account and personal data have been deleted.")
                return redirect("home")
    return render(request, "backpack/delete_account.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


# --- collections ---------------------------------------------------------------------------------


def _chosen_entries(request: SignedInRequest, ids: list[str]) -> list[BackpackEntry]:
    chosen = [selectors.entry_of_user(request.user, i) for i in ids]
    return [e for e in chosen if e is not None]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def collections(request: SignedInRequest) -> HttpResponse:
    items = selectors.backpack_items(request.user)
    form = forms.CollectionForm(_posted(request), items=items)
    if request.method == "POST" and form.is_valid():
        try:
            collection = services.collection_create(
                user=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                visibility=form.cleaned_data["visibility"],
                entries=_chosen_entries(request, form.cleaned_data["entries"]))
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, f"Created “{collection.name}”.")
            return redirect("backpack:collection", collection.public_id)
    return render(request, "backpack/collections.html", {
        "form": form, "collections": Collection.objects.filter(user=request.user)},
        status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def collection_edit(request: SignedInRequest, public_id: Any) -> HttpResponse:
    collection = get_object_or_404(Collection, user=request.user, public_id=public_id)
    items = selectors.backpack_items(request.user)
    current = [str(i.public_id) for i in selectors.collection_items(collection, public=False)]
    form = forms.CollectionForm(_posted(request), items=items, initial={
        "name": collection.name, "description": collection.description, "visibility": collection.visibility,
        "entries": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.collection_update(
                collection=collection, name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                visibility=form.cleaned_data["visibility"],
                entries=_chosen_entries(request, form.cleaned_data["entries"]))
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Saved.")
            return redirect("backpack:collection", collection.public_id)
    return render(request, "backpack/collection_edit.html", {
        "form": form, "collection": collection,
        "public_url": f"{settings.PUBLIC_BASE_URL}{reverse('backpack:collection_public', args=[collection.public_id])}",
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def collection_delete(request: SignedInRequest, public_id: Any) -> HttpResponse:
    collection = get_object_or_404(Collection, user=request.user, public_id=public_id)
    services.collection_delete(collection=collection)
    messages.success(request, f"Deleted “{collection.name}”.")
    return redirect("backpack:collections")


# --- public pages: anyone with the link ------------------------------------------------------------


@require_safe
def collection_public(request: HttpRequest, public_id: Any) -> HttpResponse:
    collection = Collection.objects.filter(public_id=public_id).select_related("user").first()
    is_owner = collection is not None and request.user.is_authenticated and collection.user_id == request.user.pk
    if collection is None or (collection.visibility == Visibility.PRIVATE and not is_owner):
        raise Http404("No such collection.")
    items = selectors.collection_items(collection, public=True)
    shown = [(i, links.share_url(i.assertion) if i.assertion else None) for i in items]
    return render(request, "backpack/collection_public.html", {
        "collection": collection, "shown": shown, "is_owner": is_owner,
        # No owner name: many learners are minors, and the name is opted into per badge, not here.
        "noindex": collection.visibility != Visibility.PUBLIC,
    })


def _shared(request: HttpRequest, public_id: Any) -> tuple[Any, BackpackEntry | None, bool]:
    assertion = selectors.assertion_for_public_id(public_id)
    if assertion is None:
        raise Http404("No such badge.")
    entry = selectors.share_entry(assertion)
    is_owner = request.user.is_authenticated and entry is not None and entry.user_id == request.user.pk
    if entry is not None and not is_owner and (entry.visibility == Visibility.PRIVATE or entry.declined_at):
        raise Http404("No such badge.")
    return assertion, entry, is_owner


@require_safe
@gone_when_removed
def share(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Always HTML, whatever Accept says: link-preview crawlers send */*."""
    a, entry, is_owner = _shared(request, public_id)
    claimed = a.claimed_by_id is not None
    name = ""
    if claimed and entry is not None and entry.show_name:
        name = a.claimed_by.name or a.recipient_name
    item_status = "revoked" if a.revoked else "expired" if a.expires and a.expires <= timezone.now() else "valid"
    share = links.share_url(a)
    response = render(request, "backpack/share.html", {
        "assertion": a, "badge": a.badge_class, "issuer": a.badge_class.issuer, "tenant": a.tenant,
        "brand_tenant": a.tenant,
        "learner_name": name, "status": item_status, "is_owner": is_owner, "share_url": share,
        "og_image": share + "image.png", "verify_url": links.verify_url(a),
        "noindex": not (entry is not None and claimed and entry.indexable and entry.visibility != Visibility.PRIVATE),
        "description": f"Awarded by {a.badge_class.issuer.name}. {a.badge_class.description}"[:300],
    }, status=410 if a.revoked else 200)
    response["Vary"] = "Cookie"
    if not is_owner and not a.revoked:
        _count("share_view", a, request)
    return response


@require_safe
@gone_when_removed
def share_image(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The badge as PNG for link previews (social sites do not show SVG)."""
    a, _, _ = _shared(request, public_id)
    badge = a.badge_class
    field = badge.image if badge.image_type == "png" or not badge.image_png else badge.image_png
    if a.revoked or not field:
        raise Http404("No image.")
    with field.open("rb") as fh:
        data = fh.read()
    response = HttpResponse(data, content_type="image/png" if data.startswith(b"\x89PNG") else "image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _count(kind: str, assertion: Any, request: HttpRequest | None = None) -> None:
    """Tell the college's outcomes dashboard (counted in the background; never fails the page). With
    the ``request``, once per visitor per award per day."""
    from insights.events import event_count

    event_count(kind=kind, tenant_id=assertion.tenant_id, badge_class_id=assertion.badge_class_id,
                assertion_id=assertion.pk, request=request)
