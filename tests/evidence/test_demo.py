from __future__ import annotations

import io

import pytest

from whatworks.evidence import demo
from whatworks.evidence.models import Finding, Intervention, Study, Synthesis

pytestmark = pytest.mark.django_db


def test_demo_content_loads_once_and_is_labelled() -> None:
    demo.load(stdout=io.StringIO())
    counts = (Intervention.objects.count(), Study.objects.count(), Finding.objects.count())
    assert counts[0] >= 12
    names = " ".join(Intervention.objects.values_list("name", flat=True)).lower()
    for expected in (
        "family group conferences",
        "signs of safety",
        "multisystemic therapy",
        "family drug and alcohol courts",
        "parenting programme",
        "schwartz rounds",
    ):
        assert expected in names
    assert not Intervention.objects.filter(is_demo=False).exists()
    assert not Study.objects.exclude(citation__contains="Demonstration data").exists()
    assert Synthesis.objects.filter(k__gte=3).exists()
    demo.load(stdout=io.StringIO())
    assert (Intervention.objects.count(), Study.objects.count(), Finding.objects.count()) == counts
