"""RSS 2.0 and Atom feeds of published posts (announced in the head of /news/)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from whatworks.news.markdown import render_markdown
from whatworks.news.models import Post
from whatworks.news.plaintext import absolute_links
from whatworks.news.selectors import posts_published

FEED_SIZE = 20


class PostsRssFeed(Feed):
    feed_type: type[SyndicationFeed] = Rss201rev2Feed
    title = "whatworks news"
    description = "Posts from the whatworks Centre and practice leads."

    def link(self) -> str:
        return reverse("news:index")

    def items(self) -> list[Post]:
        return list(posts_published()[:FEED_SIZE])

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        # read away from the site: images and links need the full address
        return absolute_links(render_markdown(item.body))

    def item_link(self, item: Post) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Post) -> datetime | None:
        return item.publish_at

    def item_updateddate(self, item: Post) -> datetime | None:
        return item.updated_at

    def item_author_name(self, item: Post) -> str:
        return item.author.display_name

    def item_categories(self, item: Post) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class PostsAtomFeed(PostsRssFeed):
    feed_type = Atom1Feed
    subtitle = PostsRssFeed.description
