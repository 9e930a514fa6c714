"""The core's middleware: a ``Throttled`` that a view lets through becomes the one 429 page
(``ThrottleMiddleware``); every other exception goes on to Django's own handling."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from tests.factories import OrganisationFactory
from tests.fixturetypes import ThrottleClock
from whatworks.config import urls as site_urls
from whatworks.core.errors import CoreError, Throttled
from whatworks.core.middleware import ThrottleMiddleware
from whatworks.core.models import Organisation, ThrottleCounter
from whatworks.core.throttle import Rate, throttle_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.test_middleware")]

#: One write a minute per client address, for the view that throttles and then writes.
WRITE_RATE = Rate(limit=1, per=60)


def _refused(request: HttpRequest) -> HttpResponse:
    raise Throttled(scope="tests.refused", retry_after=125)


def _refused_domain_error(request: HttpRequest) -> HttpResponse:
    raise CoreError("Not like that.")


def _broken(request: HttpRequest) -> HttpResponse:
    raise ValueError("a bug")


def _throttled_write(request: HttpRequest) -> HttpResponse:
    """Throttle first, then write: a refusal leaves nothing written."""
    throttle_request(request, scope="tests.write", rate=WRITE_RATE)
    OrganisationFactory.create(name="Written once")
    return HttpResponse("written")


# The site's own URLs too: the 429 page's layout links to them.
urlpatterns = [
    path("tests/refused/", _refused),
    path("tests/refused-domain-error/", _refused_domain_error),
    path("tests/broken/", _broken),
    path("tests/throttled-write/", _throttled_write),
    *site_urls.urlpatterns,
]
handler500 = site_urls.handler500


def test_a_throttled_view_answers_with_the_429_page_and_retry_after(client: Client) -> None:
    response = client.get("/tests/refused/")
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    assert "core/errors/429.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Too many attempts" in page
    assert "Please try again in 3 minutes." in page


def test_an_htmx_request_gets_the_same_429_page(client: Client) -> None:
    response = client.get("/tests/refused/", headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    assert "core/errors/429.html" in [t.name for t in response.templates]


@pytest.mark.parametrize(
    ("url", "error"), [("/tests/broken/", ValueError), ("/tests/refused-domain-error/", CoreError)]
)
def test_other_exceptions_pass_through(client: Client, url: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        client.get(url)
    assert Client(raise_request_exception=False).get(url).status_code == 500


def test_the_middleware_answers_only_throttled(rf: RequestFactory) -> None:
    middleware = ThrottleMiddleware(lambda request: HttpResponse("ok"))
    request = rf.get("/")
    assert middleware.process_exception(request, ValueError("a bug")) is None
    assert middleware.process_exception(request, CoreError("No.")) is None
    refused = middleware.process_exception(request, Throttled(scope="tests", retry_after=30))
    assert refused is not None
    assert (refused.status_code, refused["Retry-After"]) == (429, "30")
    assert "Please try again in 1 minute." in refused.content.decode()


def test_a_refused_request_writes_nothing_and_stays_counted(throttle_clock: ThrottleClock) -> None:
    client = Client()
    assert client.post("/tests/throttled-write/").status_code == 200
    refused = client.post("/tests/throttled-write/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Organisation.objects.filter(name="Written once").count() == 1
    counter = ThrottleCounter.objects.get(scope="tests.write")
    assert counter.count == 2  # the refused attempt was counted and kept
