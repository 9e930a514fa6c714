from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from whatworks.news import compose


class NewsConfig(AppConfig):
    name = "whatworks.news"
    label = "news"
    verbose_name = _("News: blog and newsletter")

    def ready(self) -> None:
        from whatworks.core.extensions import newsletter_sections
        from whatworks.news import tasks  # noqa: F401 - binds the newsletter's jobs

        newsletter_sections.register("news", compose.news_posts_section, order=10)
