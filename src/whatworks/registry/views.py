from django.http import HttpRequest, HttpResponse

from whatworks.core.views.pages import part_landing


def index(request: HttpRequest) -> HttpResponse:
    return part_landing(request, key="registry", template="registry/index.html")
