"""Dataset uploads: validation before anything is kept, safe unzipping, size limit, and
pseudonymisation (no raw child id anywhere in storage or the database afterwards)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.pilots.factories import analyst_of, make_pilot, synthetic_folder, zip_of
from whatworks.core.models import AuditEntry
from whatworks.pilots.models import Dataset
from whatworks.pilots.uploads import pseudonym

pytestmark = pytest.mark.django_db


def _post(client, pilot, files):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}), {"dataset": files}
    )


def _stored_files() -> list[Path]:
    return [p for p in Path(settings.PRIVATE_DATA_ROOT).rglob("*") if p.is_file()]


def test_a_valid_zip_is_stored_pseudonymised_and_no_raw_id_remains(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    folder = synthetic_folder(tmp_path / "data")
    raw_ids = pl.read_csv(folder / "children.csv")["child_id"].to_list()
    client.force_login(analyst)
    response = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder)))
    assert response.status_code == 302, response.content.decode()[:2000]
    dataset = Dataset.objects.get(pilot=pilot)
    assert dataset.row_counts["children"] == len(raw_ids)
    assert (dataset.delete_after - dataset.uploaded_at.date()).days in range(365, 367)
    stored = _stored_files()
    assert stored and all(p.suffix == ".parquet" for p in stored), "raw files are not kept"
    children = pl.read_parquet(
        Path(settings.PRIVATE_DATA_ROOT) / "pilots" / dataset.folder / "children.parquet"
    )
    key = settings.WHATWORKS_PSEUDONYM_KEY
    assert set(children["child_id"]) == {pseudonym(str(i), key=key) for i in raw_ids}
    # Search every stored byte and the whole database for a sample of raw ids.
    sample = [str(i).encode() for i in raw_ids[:25]]
    for path in stored:
        blob = path.read_bytes()
        assert not any(s in blob for s in sample), path
    database = Path(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            text = repr(cursor.fetchall()).encode()
            assert not any(s in text for s in sample), table
    assert isinstance(database, Path)
    assert AuditEntry.objects.filter(action="pilot.dataset_uploaded", actor=analyst).exists()


def test_pseudonyms_are_keyed() -> None:
    assert pseudonym("C123", key="k1") == pseudonym("C123", key="k1")
    assert pseudonym("C123", key="k1") != pseudonym("C123", key="k2")
    assert pseudonym("C123", key="k1") != pseudonym("C124", key="k1")
    assert "C123" not in pseudonym("C123", key="k1")


def test_every_validation_problem_is_shown_and_nothing_is_stored(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    children = (folder / "children.csv").read_text().splitlines()
    children[1] = children[1].replace(children[1].split(",")[2], "not-a-sex", 1)
    (folder / "children.csv").write_text("\n".join(children) + "\n")
    (folder / "referrals.csv").write_text("referral_id,child_id\nR1,C1\n")
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder))).content.decode()
    assert "There is a problem" in page
    assert "referrals" in page and "children" in page
    assert page.count('class="error-summary__list"') == 1
    assert not Dataset.objects.exists()
    assert _stored_files() == []


def test_separate_files_and_a_missing_table(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    files = [
        SimpleUploadedFile(p.name, p.read_bytes())
        for p in sorted(folder.glob("*.csv"))
        if p.name != "assessments.csv"
    ]
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, files).content.decode()
    assert "There is a problem" in page and "assessments" in page
    assert not Dataset.objects.exists() and _stored_files() == []


def test_path_traversal_in_a_zip_is_refused(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    data = zip_of(folder, extra={"../../escape.csv": b"x"})
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", data)).content.decode()
    assert "unsafe path" in page
    assert not Dataset.objects.exists() and _stored_files() == []
    assert not (Path(settings.PRIVATE_DATA_ROOT).parent / "escape.csv").exists()


def test_a_zip_bomb_is_refused_by_its_declared_sizes(client) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("children.csv", b"0" * 20_000_000)
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", buffer.getvalue())).content.decode()
    assert "zip bomb" in page
    assert not Dataset.objects.exists() and _stored_files() == []


def test_the_size_limit(client, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES = 10_000
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder))).content.decode()
    assert "larger than the limit" in page
    assert not Dataset.objects.exists() and _stored_files() == []


def test_no_upload_before_the_config_is_fixed(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot(fixed=False)
    folder = synthetic_folder(tmp_path / "data")
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder))).content.decode()
    assert "Fix the experiment config" in page
    assert not Dataset.objects.exists()


def test_fixing_the_config_needs_a_valid_config(client) -> None:  # type: ignore[no-untyped-def]
    pilot = make_pilot(fixed=False)
    client.force_login(analyst_of(pilot))
    version = pilot.project.versions.get()
    url = reverse("pilots:config", kwargs={"pilot_id": pilot.pk})
    page = client.post(
        url, {"protocol_version": version.pk, "config_yaml": "name: x\n"}
    ).content.decode()
    assert "There is a problem" in page and "operating_point" in page
    from tests.pilots.factories import config_yaml

    response = client.post(url, {"protocol_version": version.pk, "config_yaml": config_yaml()})
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert pilot.config_fixed and len(pilot.config_hash) == 64
    assert pilot.protocol_version == version


def test_the_size_limit_handler_stops_a_stream_without_a_declared_length() -> None:
    from django.core.files.uploadhandler import StopUpload

    from whatworks.pilots.uploads import SizeLimitHandler

    handler = SizeLimitHandler(None, limit=100)
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * 60, 60)
    assert handler.exceeded


def test_uploads_stream_to_temporary_files(client, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Even a small upload goes to a temporary file on disk, never into memory."""
    from whatworks.pilots import services

    seen: list[str] = []
    real = services.place_uploads

    def spy(files, into, *, limit):  # type: ignore[no-untyped-def]
        files = list(files)
        seen.extend(type(f).__name__ for f in files)
        return real(files, into, limit=limit)

    monkeypatch.setattr(services, "place_uploads", spy)
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data", referrals=300)
    client.force_login(analyst_of(pilot))
    _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder)))
    assert seen == ["TemporaryUploadedFile"]
