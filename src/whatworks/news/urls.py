from django.urls import path

from whatworks.news import feeds
from whatworks.news.views import blog, bounces, manage, newsletter, topics

app_name = "news"

urlpatterns = [
    path("", blog.index, name="index"),
    path("posts/<slug:slug>/", blog.post_detail, name="post"),
    path("authors/<slug:slug>/", blog.author_detail, name="author"),
    path("tags/<slug:slug>/", blog.tag_detail, name="tag"),
    path("images/<uuid:image_id>/", blog.image, name="image"),
    path("feed/rss/", feeds.PostsRssFeed(), name="feed_rss"),
    path("feed/atom/", feeds.PostsAtomFeed(), name="feed_atom"),
    path("newsletter/", newsletter.subscribe, name="subscribe"),
    path("newsletter/check-your-email/", newsletter.subscribe_done, name="subscribe_done"),
    path("newsletter/confirm/<str:token>/", newsletter.confirm, name="confirm"),
    path("newsletter/unsubscribe/<str:token>/", newsletter.unsubscribe, name="unsubscribe"),
    path("newsletter/your-data/", newsletter.manage_request, name="manage_request"),
    path("newsletter/your-data/<str:token>/", newsletter.manage, name="manage"),
    path(
        "newsletter/your-data/<str:token>/export/", newsletter.manage_export, name="manage_export"
    ),
    path("newsletter/your-data/<str:token>/erase/", newsletter.manage_erase, name="manage_erase"),
    path(
        "newsletter/your-data/<str:token>/topics/", newsletter.manage_topics, name="manage_topics"
    ),
    path("newsletter/bounces/", bounces.bounce_webhook, name="bounce_webhook"),
    path("newsletter/archive/", newsletter.archive, name="archive"),
    path("newsletter/archive/<slug:slug>/", newsletter.archive_issue, name="archive_issue"),
    path("manage/", manage.home, name="manage_home"),
    path("manage/posts/new/", manage.post_new, name="post_new"),
    path("manage/posts/<int:post_id>/", manage.post_edit, name="post_edit"),
    path("manage/posts/<int:post_id>/images/", manage.post_images, name="post_images"),
    path("manage/posts/<int:post_id>/revisions/", manage.post_revisions, name="post_revisions"),
    path("manage/topics/", topics.topics, name="topics"),
    path("manage/topics/<int:topic_id>/", topics.topic_edit, name="topic_edit"),
    path("manage/topics/<int:topic_id>/retire/", topics.topic_retire, name="topic_retire"),
    path("manage/issues/new/", manage.issue_new, name="issue_new"),
    path("manage/issues/<int:issue_id>/", manage.issue_edit, name="issue_edit"),
    path("manage/issues/<int:issue_id>/preview/", manage.issue_preview, name="issue_preview"),
    path("manage/issues/<int:issue_id>/send/", manage.issue_send, name="issue_send"),
    path("manage/issues/<int:issue_id>/resume/", manage.issue_resume, name="issue_resume"),
    path("manage/issues/<int:issue_id>/test/", manage.issue_test, name="issue_test"),
    path("manage/issues/<int:issue_id>/schedule/", manage.issue_schedule, name="issue_schedule"),
    path(
        "manage/issues/<int:issue_id>/unschedule/",
        manage.issue_unschedule,
        name="issue_unschedule",
    ),
]
