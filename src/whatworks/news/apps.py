from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "whatworks.news"
    label = "news"
