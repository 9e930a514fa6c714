"""Writes of the blog and newsletter: posts, subscribers, topics and issues in their modules;
:mod:`.sending` sends an issue in batches (the worker's job)."""

from whatworks.news.services.issues import (
    issue_draft,
    issue_resume,
    issue_schedule,
    issue_send,
    issue_send_due,
    issue_send_test,
    issue_unschedule,
    issue_update,
)
from whatworks.news.services.posts import (
    author_profile_create,
    post_create,
    post_image_add,
    post_update,
    tag_get_or_create,
)
from whatworks.news.services.subscribers import (
    subscriber_confirm,
    subscriber_erase,
    subscriber_export,
    subscriber_import,
    subscriber_mark_bounced,
    subscriber_send_manage_link,
    subscriber_set_topics,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from whatworks.news.services.topics import topic_create, topic_retire, topic_update

__all__ = [
    "author_profile_create",
    "issue_draft",
    "issue_resume",
    "issue_schedule",
    "issue_send",
    "issue_send_due",
    "issue_send_test",
    "issue_unschedule",
    "issue_update",
    "post_create",
    "post_image_add",
    "post_update",
    "subscriber_confirm",
    "subscriber_erase",
    "subscriber_export",
    "subscriber_import",
    "subscriber_mark_bounced",
    "subscriber_send_manage_link",
    "subscriber_set_topics",
    "subscriber_subscribe",
    "subscriber_unsubscribe",
    "tag_get_or_create",
    "topic_create",
    "topic_retire",
    "topic_update",
]
