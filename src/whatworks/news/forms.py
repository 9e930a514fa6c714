"""Forms of the blog and newsletter: they parse input; services decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from whatworks.core.text import markup_in
from whatworks.news.models import AuthorProfile, Topic
from whatworks.news.uploads import MAX_IMAGE_BYTES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Web address"),
        max_length=100,
        required=False,
        help_text=_("Lower-case words joined by hyphens. Leave empty to make one from the title."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        help_text=_("One or two sentences, shown in lists and feeds."),
    )
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Markdown: ## for headings, *italic*, **bold**, [link text](https://…), "
            "![what the picture shows](image address)."
        ),
    )
    author = forms.ModelChoiceField(
        label=_("Author"), queryset=AuthorProfile.objects.all(), empty_label=None
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=400,
        help_text=_("Separate tags with commas, for example: practice, research"),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_(
            "Date and time, for example 2026-12-01 09:00. Empty keeps the post a draft; "
            "a future time schedules it."
        ),
        input_formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(format="%Y-%m-%d %H:%M"),
    )

    def clean_title(self) -> str:
        return _plain(self.cleaned_data["title"], _("The title"))

    def clean_tags(self) -> str:
        return _plain(self.cleaned_data.get("tags", ""), _("A tag"))

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


def _plain(value: str, what: StrOrPromise) -> str:
    """``value`` unless it holds markup, which titles and tags may not (see markup_in)."""
    if (found := markup_in(value)) is not None:
        raise forms.ValidationError(
            _("%(what)s cannot contain HTML such as %(found)s: write it as plain text")
            % {"what": what, "found": found}
        )
    return value


class ImageForm(forms.Form):
    file = forms.FileField(
        label=_("Image"),
        help_text=_("PNG, JPEG or WebP, smaller than %(mb)s MB.")
        % {"mb": MAX_IMAGE_BYTES // 1024**2},
    )
    alt_text = forms.CharField(
        label=_("Alternative text"),
        max_length=300,
        help_text=_("Describe what the picture shows, for people who cannot see it."),
        error_messages={"required": _("Describe the image for people who cannot see it.")},
    )


def _topics_field(label: StrOrPromise) -> forms.ModelMultipleChoiceField[Any]:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Topic.objects.filter(retired_at__isnull=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Some issues go only to the people who chose their topic. Every subscriber gets "
            "the monthly issue."
        ),
    )


class TopicsForm(forms.Form):
    topics = _topics_field(_("Topics you want to hear about"))


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address"),
            "invalid": _("Enter an e-mail address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    consent = forms.BooleanField(
        label=_("I agree to the statement above"),
        error_messages={"required": _("Tick the box to agree to receive the newsletter")},
    )
    topics = _topics_field(_("Topics you want to hear about"))


class ManageRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address"),
            "invalid": _("Enter an e-mail address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class IssueForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    topic = forms.ModelChoiceField(
        label=_("Send to"),
        queryset=Topic.objects.filter(retired_at__isnull=True),
        required=False,
        empty_label=_("Every subscriber"),
        help_text=_("Or only the subscribers who chose one topic."),
    )

    def clean_title(self) -> str:
        return _plain(self.cleaned_data["title"], _("The title"))

    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("Markdown. The platform drafted this; edit it as you like before sending."),
    )

    def __init__(self, *args: Any, keep_topic_id: int | None = None, **kwargs: Any) -> None:
        """``keep_topic_id``: the issue's own topic stays a choice after it was retired."""
        super().__init__(*args, **kwargs)
        if keep_topic_id is not None:
            field = self.fields["topic"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = Topic.objects.filter(Q(retired_at__isnull=True) | Q(pk=keep_topic_id))


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("Send at"),
        help_text=_("Date and time, for example 2026-12-01 09:00 (UK time)."),
        input_formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(format="%Y-%m-%d %H:%M"),
        error_messages={
            "required": _("Enter the date and time to send at, like 2026-12-01 09:00"),
            "invalid": _("Enter the date and time to send at, like 2026-12-01 09:00"),
        },
    )


class TopicForm(forms.Form):
    """A newsletter topic as editors write it (``services.topics``)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        error_messages={"required": _("Enter the topic's name")},
    )
    slug = forms.SlugField(
        label=_("Web address name"),
        max_length=80,
        required=False,
        help_text=_("Lower-case words joined by hyphens. Leave empty to make one from the name."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("One line that subscribers see beside the topic."),
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=32767,
        initial=0,
        help_text=_("Topics are listed by position, then by name."),
        error_messages={"required": _("Enter the position, e.g. 0")},
    )

    def clean_name(self) -> str:
        return _plain(self.cleaned_data["name"].strip(), _("The name"))

    def clean_description(self) -> str:
        return _plain(self.cleaned_data.get("description", "").strip(), _("The description"))
