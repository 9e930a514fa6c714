from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from whatworks.news import compose


class NewsConfig(AppConfig):
    name = "whatworks.news"
    label = "news"
    verbose_name = _("News: blog and newsletter")

    def ready(self) -> None:
        self.register_newsletter_section(
            "news", "whatworks.news.compose.news_posts_section", order=10
        )

    def register_newsletter_section(
        self, key: str, provider: compose.Provider | str, *, order: int = 50
    ) -> None:
        """The extension point for other parts; see :mod:`whatworks.news.compose`."""
        compose.register_section_provider(key, provider, order=order)
