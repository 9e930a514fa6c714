"""Forms of the blog and newsletter: they parse input; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from whatworks.news.models import AuthorProfile
from whatworks.news.uploads import MAX_IMAGE_BYTES


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

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


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
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_("Markdown. The platform drafted this; edit it as you like before sending."),
    )
