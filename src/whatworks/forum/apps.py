from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "whatworks.forum"
    label = "forum"
