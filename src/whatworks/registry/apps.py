from __future__ import annotations

from django.apps import AppConfig

from whatworks.registry import links


class RegistryConfig(AppConfig):
    name = "whatworks.registry"
    label = "registry"

    def ready(self) -> None:
        from django.apps import apps

        from whatworks.core.projects import register_visibility_provider
        from whatworks.registry.selectors import project_views

        # Other parts ask the registry's one visibility decision through the core.
        register_visibility_provider(project_views)

        if apps.is_installed("whatworks.news"):
            apps.get_app_config("news").register_newsletter_section(  # type: ignore[attr-defined]
                "registry", "whatworks.registry.newsletter.new_research", order=50
            )

        from whatworks.calls.signals import application_accepted
        from whatworks.registry.receivers import partner_site_from_application

        application_accepted.connect(
            partner_site_from_application, dispatch_uid="registry.partner_site_from_application"
        )

    def register_link_provider(
        self, key: str, provider: links.Provider | str, *, heading: str, order: int = 50
    ) -> None:
        """The extension point for other parts' links; see :mod:`whatworks.registry.links`."""
        links.register_link_provider(key, provider, heading=heading, order=order)
