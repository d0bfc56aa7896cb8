"""``POST /api/v1/verify/``: anyone (no account) verifies one badge and gets the verifier's JSON."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from issuers.parsers import DepthLimitedJSONParser
from issuers.permissions import reads_only
from verification.forms import MAX_IMAGE_BYTES
from verification.ratelimit import rate_limited
from verification.tasks import record_verification
from verification.verifier import (
    BUSY_MESSAGE,
    INVALID,
    Check,
    CollectionVerification,
    Verification,
    verify,
    verify_collection,
)


def _refused(message: str) -> Response:
    result = Verification(verdict=INVALID, checks=[Check("documents", False, message)])
    return Response(result.as_dict(), status=400)


class VerifyView(APIView):
    """JSON ``{"url"}`` or ``{"jws"}`` (or ``{"assertion"}``), or a multipart ``image``; optional
    ``recipient``. Answers 200 with the verdict, 400 for a request that names no badge, 429 when
    the client address is over ``VERIFY_RATE_LIMIT``, 503 with Retry-After when this process is
    already verifying ``VERIFY_MAX_CONCURRENT`` badges from other sites."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [DepthLimitedJSONParser, MultiPartParser]

    def post(self, request: Request) -> Response:
        retry_after = rate_limited(request._request)
        if retry_after is not None:
            response = Response({"detail": f"Too many verifications. Try again in {retry_after} seconds."},
                                status=429)
            response["Retry-After"] = str(retry_after)
            return response
        try:
            data = request.data
        except (ParseError, UnsupportedMediaType) as exc:
            return _refused(f"The request body is not valid JSON or multipart form data: {exc.detail}")
        if not hasattr(data, "get"):
            return _refused("Send a JSON object with url, jws or assertion, or a multipart image.")
        recipient = data.get("recipient")
        if recipient is not None and not isinstance(recipient, str):
            return _refused("recipient must be an email address (a string).")
        upload = request.FILES.get("image") if hasattr(request, "FILES") else None
        given: dict[str, Any] = {k: data.get(k) for k in ("url", "jws", "assertion") if data.get(k) not in (None, "")}
        if upload is not None:
            given["image"] = upload
        if len(given) != 1:
            return _refused("Give exactly one of url, jws, assertion (JSON) or image (multipart).")
        (kind, value), = given.items()
        if kind == "image":
            if value.size > MAX_IMAGE_BYTES:
                return _refused("The image is too large; the limit is 5 MB.")
            result = verify(image=value.read(MAX_IMAGE_BYTES + 1), recipient=recipient)
        elif kind == "assertion" and isinstance(value, dict):
            result = verify(assertion=value, recipient=recipient)
        elif not isinstance(value, str):
            return _refused(f"{kind} must be a string.")
        elif kind == "url" and (collection := verify_collection(url=value, recipient=recipient)) is not None:
            return self.collection(request, collection)
        else:
            as_string: dict[str, Any] = {kind: value}  # url=, jws= or assertion=
            result = verify(**as_string, recipient=recipient)
        if result.busy:
            return Response({"detail": BUSY_MESSAGE}, status=503,
                            headers={"Retry-After": str(settings.VERIFY_TOTAL_SECONDS)})
        record_verification(assertion_public_id=result.our_assertion_id, verdict=result.verdict,
                            source="api", request=request._request)
        return Response(result.as_dict())

    def collection(self, request: Request, collection: CollectionVerification) -> Response:
        if collection.busy:
            return Response({"detail": BUSY_MESSAGE}, status=503,
                            headers={"Retry-After": str(settings.VERIFY_TOTAL_SECONDS)})
        for result in collection.results:
            record_verification(assertion_public_id=result.our_assertion_id, verdict=result.verdict,
                                source="api", request=request._request)
        return Response(collection.as_dict())


verify_api = reads_only(VerifyView.as_view())
