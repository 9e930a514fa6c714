"""The bounce webhook: a mail provider reports addresses that bounced (news/bounces.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from whatworks.news.bounces import (
    SIGNATURE_HEADER,
    BounceReportError,
    addresses_from_webhook,
    signature_valid,
)
from whatworks.news.services import subscribers

#: A webhook body larger than this is refused unread.
MAX_BODY_BYTES = 256 * 1024


@csrf_exempt  # a machine posts here; the HMAC signature stands in for the CSRF token
@require_POST
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.WHATWORKS_NEWSLETTER_BOUNCE_SECRET
    if not secret:
        raise Http404("The bounce webhook is not switched on.")
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=413)
    body = request.body
    if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), secret):
        return JsonResponse({"error": f"Missing or wrong {SIGNATURE_HEADER}."}, status=403)
    try:
        addresses = addresses_from_webhook(body)
    except BounceReportError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    marked = 0
    for address in dict.fromkeys(a.lower() for a in addresses):
        if subscribers.subscriber_mark_bounced(actor=None, email=address, source="webhook"):
            marked += 1
    # The same answer whether or not an address is ours: the caller learns nothing.
    return JsonResponse({"received": len(addresses)})
