"""Dataset uploads: the web process only receives the files (to private files on disk);
a worker checks them — every problem at once, identifier values withheld — safely
unzips, pseudonymises them under the authority's key and removes the raw files."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import polars as pl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.factories import OrganisationFactory
from tests.fixturetypes import ClientResponse
from tests.pilots.factories import (
    analyst_of,
    check_upload,
    make_pilot,
    stored_dataset,
    synthetic_folder,
    zip_of,
)
from whatworks.core.models import AuditEntry
from whatworks.pilots.models import Dataset, DatasetUpload, Pilot
from whatworks.pilots.uploads import pseudonym, pseudonym_key

pytestmark = pytest.mark.django_db


def _post(client: Client, pilot: Pilot, files: object) -> ClientResponse:
    return client.post(
        reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}), {"dataset": files}
    )


def _private() -> Path:
    return Path(settings.PRIVATE_DATA_ROOT)


def _stored_files() -> list[Path]:
    return [p for p in _private().rglob("*") if p.is_file()]


def _upload_and_check(client: Client, pilot: Pilot, files: object) -> DatasetUpload:
    response = _post(client, pilot, files)
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = DatasetUpload.objects.get(pilot=pilot, status=DatasetUpload.Status.QUEUED)
    assert response["Location"] == upload.get_absolute_url()
    return check_upload(upload)


def _database_text() -> bytes:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            chunks.append(repr(cursor.fetchall()))
    return "".join(chunks).encode()


def test_a_valid_zip_is_checked_by_the_worker_and_stored_pseudonymised(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    analyst = analyst_of(pilot)
    folder = synthetic_folder(tmp_path / "data")
    raw_ids = pl.read_csv(folder / "children.csv")["child_id"].to_list()
    client.force_login(analyst)
    response = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder)))
    upload = DatasetUpload.objects.get(pilot=pilot)
    # The web process only received the files: nothing was read, nothing is stored yet.
    assert response["Location"] == upload.get_absolute_url()
    assert upload.status == DatasetUpload.Status.QUEUED and not Dataset.objects.exists()
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "Waiting to be checked" in page and 'hx-trigger="every 1s"' in page
    waiting = _stored_files()
    assert [p.relative_to(_private()).parts[:2] for p in waiting] == [("pilots", "incoming")]

    upload = check_upload(upload)

    assert upload.status == DatasetUpload.Status.STORED and upload.dataset is not None
    dataset = upload.dataset
    assert dataset.row_counts["children"] == len(raw_ids)
    assert (dataset.delete_after - dataset.uploaded_at.date()).days in range(365, 367)
    stored = _stored_files()
    assert stored and all(p.suffix == ".parquet" for p in stored), "raw files are not kept"
    incoming = _private() / "pilots" / "incoming"
    assert [p.name for p in incoming.rglob("*")] == ["receiving"], "the scratch is empty"
    children = pl.read_parquet(_private() / "pilots" / dataset.folder / "children.parquet")
    key = pseudonym_key(organisation_id=pilot.organisation_id)
    assert set(children["child_id"]) == {pseudonym(str(i), key=key) for i in raw_ids}
    # Search every stored byte and the whole database for a sample of raw ids.
    sample = [str(i).encode() for i in raw_ids[:25]]
    for path in stored:
        blob = path.read_bytes()
        assert not any(s in blob for s in sample), path
    database = _database_text()
    assert not any(s in database for s in sample)
    assert AuditEntry.objects.filter(action="pilot.dataset_uploaded", actor=analyst).exists()
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "Passed every check and stored" in page and "hx-trigger" not in page


def test_everything_under_the_private_root_is_the_platform_users_only(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(synthetic_folder(tmp_path / "d"))))
    upload = DatasetUpload.objects.get()
    check_upload(upload)
    paths = [_private(), *_private().rglob("*")]
    assert len(paths) > 5
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_the_received_files_wait_in_private_files(client: Client, tmp_path: Path) -> None:
    """Before the check the raw bytes exist only under the private root, mode 0600 in
    folders of mode 0700: never in memory, never in the system's temporary folder."""
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data", referrals=300)
    client.force_login(analyst_of(pilot))
    _post(client, pilot, [SimpleUploadedFile(p.name, p.read_bytes()) for p in folder.glob("*")])
    upload = DatasetUpload.objects.get()
    waiting = sorted(_stored_files())
    assert len(waiting) == 6
    for path in waiting:
        assert path.parent == _private() / "pilots" / "incoming" / str(upload.pk) / "received"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for parent in (waiting[0].parent, waiting[0].parent.parent, waiting[0].parents[2]):
        assert stat.S_IMODE(parent.stat().st_mode) == 0o700, parent
    assert sorted(upload.file_names) == sorted(p.name for p in folder.glob("*"))


def test_the_same_child_has_one_pseudonym_per_authority(tmp_path: Path) -> None:
    folder = synthetic_folder(tmp_path / "data", referrals=300)
    first_child = str(pl.read_csv(folder / "children.csv")["child_id"][0])
    authority = OrganisationFactory.create()
    one = make_pilot(organisation=authority)
    same = make_pilot(organisation=authority)
    other = make_pilot()

    def pseudonyms(pilot: Pilot) -> list[str]:
        dataset = stored_dataset(pilot, folder)
        path = _private() / "pilots" / dataset.folder / "children.parquet"
        return pl.read_parquet(path)["child_id"].to_list()

    a, b, c = pseudonyms(one), pseudonyms(same), pseudonyms(other)
    assert a == b, "within one authority a child keeps its pseudonym"
    assert set(a).isdisjoint(c), "across authorities nothing links"
    key = pseudonym_key(organisation_id=authority.pk)
    assert pseudonym(first_child, key=key) in a


def test_the_authority_key_is_derived_from_the_master_key() -> None:
    one = pseudonym_key(organisation_id=1, master="master-1")
    assert one == pseudonym_key(organisation_id=1, master="master-1")
    assert one != pseudonym_key(organisation_id=2, master="master-1")
    assert one != pseudonym_key(organisation_id=1, master="master-2")
    assert "master-1" not in one and len(one) == 64
    # HMAC-SHA256(master, label), checked by hand with Python's hmac module:
    # hmac.new(b"master-1", b"whatworks-pseudonym-v2|org:1", "sha256").hexdigest()
    import hashlib
    import hmac

    label = b"whatworks-pseudonym-v2|org:1"
    assert one == hmac.new(b"master-1", label, hashlib.sha256).hexdigest()


def test_pseudonyms_are_keyed() -> None:
    assert pseudonym("C123", key="k1") == pseudonym("C123", key="k1")
    assert pseudonym("C123", key="k1") != pseudonym("C123", key="k2")
    assert pseudonym("C123", key="k1") != pseudonym("C124", key="k1")
    assert "C123" not in pseudonym("C123", key="k1")


def test_every_problem_of_the_check_is_shown_at_once_and_nothing_is_stored(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    children = (folder / "children.csv").read_text().splitlines()
    children[1] = children[1].replace(children[1].split(",")[2], "not-a-sex", 1)
    (folder / "children.csv").write_text("\n".join(children) + "\n")
    (folder / "referrals.csv").write_text("referral_id,child_id\nR1,C1\n")
    client.force_login(analyst_of(pilot))
    upload = _upload_and_check(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder)))
    assert upload.status == DatasetUpload.Status.REFUSED and len(upload.problems) >= 2
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "There is a problem" in page
    assert "referrals" in page and "children" in page and "not-a-sex" in page
    assert page.count('class="error-summary__list"') == 1
    assert 'action="' + reverse("pilots:dataset_upload", kwargs={"pilot_id": pilot.pk}) in page
    assert not Dataset.objects.exists()
    assert _stored_files() == []
    assert AuditEntry.objects.filter(action="pilot.dataset_upload_refused").exists()
    detail = client.get(pilot.get_absolute_url()).content.decode()
    assert upload.get_absolute_url() in detail and "Refused" in detail
    # When the check has finished, a poll reloads the whole page (its summary takes focus).
    poll = client.get(upload.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_identifier_values_are_withheld_from_the_stored_problems(
    client: Client, tmp_path: Path
) -> None:
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data", referrals=300)
    children = (folder / "children.csv").read_text().splitlines()
    duplicated = children[1].split(",")[0]
    children.append(children[1])  # a duplicate child id
    (folder / "children.csv").write_text("\n".join(children) + "\n")
    referrals = (folder / "referrals.csv").read_text().splitlines()
    header = referrals[0].split(",")
    cells = referrals[1].split(",")
    cells[header.index("child_id")] = "ZZ-UNKNOWN-CHILD-77"  # a child that is not there
    referrals[1] = ",".join(cells)
    (folder / "referrals.csv").write_text("\n".join(referrals) + "\n")
    client.force_login(analyst_of(pilot))
    upload = _upload_and_check(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder)))
    assert upload.status == DatasetUpload.Status.REFUSED
    text = " ".join(upload.problems)
    assert "duplicate child_id" in text and "data row" in text and "(value withheld)" in text
    database = _database_text()
    assert duplicated.encode() not in database and b"ZZ-UNKNOWN-CHILD-77" not in database
    assert _stored_files() == []


def test_separate_files_and_a_missing_table(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    files = [
        SimpleUploadedFile(p.name, p.read_bytes())
        for p in sorted(folder.glob("*.csv"))
        if p.name != "assessments.csv"
    ]
    client.force_login(analyst_of(pilot))
    upload = _upload_and_check(client, pilot, files)
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "There is a problem" in page and "assessments" in page
    assert not Dataset.objects.exists() and _stored_files() == []


def test_file_names_are_checked_at_once_in_the_web_process(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    files = [
        SimpleUploadedFile("notes.txt", b"x"),
        SimpleUploadedFile("children.csv", b"child_id\n"),
        SimpleUploadedFile("children.CSV", b"child_id\n"),
    ]
    page = _post(client, pilot, files).content.decode()
    assert "notes.txt is not one of the contract" in page
    assert "children.csv was uploaded more than once" in page
    assert not DatasetUpload.objects.exists() and _stored_files() == []


def test_path_traversal_in_a_zip_is_refused(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    data = zip_of(folder, extra={"../../escape.csv": b"x"})
    client.force_login(analyst_of(pilot))
    upload = _upload_and_check(client, pilot, SimpleUploadedFile("data.zip", data))
    assert "unsafe path" in " ".join(upload.problems)
    assert not Dataset.objects.exists() and _stored_files() == []
    assert not (_private().parent / "escape.csv").exists()


def test_a_zip_bomb_is_refused_by_its_declared_sizes(client: Client) -> None:
    pilot = make_pilot()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("children.csv", b"0" * 20_000_000)
    client.force_login(analyst_of(pilot))
    upload = _upload_and_check(client, pilot, SimpleUploadedFile("data.zip", buffer.getvalue()))
    assert "zip bomb" in " ".join(upload.problems)
    assert not Dataset.objects.exists() and _stored_files() == []


def test_the_size_limit(client: Client, settings: Settings, tmp_path: Path) -> None:
    settings.WHATWORKS_PILOT_MAX_UPLOAD_BYTES = 10_000
    pilot = make_pilot()
    folder = synthetic_folder(tmp_path / "data")
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder))).content.decode()
    assert "larger than the limit" in page
    assert not DatasetUpload.objects.exists() and _stored_files() == []


def test_no_upload_before_the_config_is_fixed(client: Client, tmp_path: Path) -> None:
    pilot = make_pilot(fixed=False)
    folder = synthetic_folder(tmp_path / "data")
    client.force_login(analyst_of(pilot))
    page = _post(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder))).content.decode()
    assert "Fix the experiment config" in page
    assert not DatasetUpload.objects.exists() and _stored_files() == []


def test_fixing_the_config_needs_a_valid_config(client: Client) -> None:
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


def test_an_upload_of_another_pilot_is_404(client: Client, tmp_path: Path) -> None:
    from tests.factories import user_with_role
    from whatworks.core.roles import Role

    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    _post(client, pilot, SimpleUploadedFile("children.csv", b"child_id\nC1\n"))
    upload = DatasetUpload.objects.get()
    client.force_login(user_with_role(Role.LA_ANALYST))
    assert client.get(upload.get_absolute_url()).status_code == 404
    other = make_pilot()
    client.force_login(analyst_of(other))
    wrong = reverse("pilots:dataset_check", kwargs={"pilot_id": other.pk, "upload_id": upload.pk})
    assert client.get(wrong).status_code == 404


def test_columns_not_in_the_contract_are_dropped_and_the_upload_says_so(
    client: Client, tmp_path: Path
) -> None:
    """Issue #19: an extract with names, NHS numbers and postcodes beside the contract's
    columns is stored without them, and the check says they were not kept and should not
    be sent; no value of theirs reaches the stored files or the database."""
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    folder = synthetic_folder(tmp_path / "data")
    children = pl.read_csv(folder / "children.csv", infer_schema=False)
    children.with_columns(
        pl.lit("Alex Example").alias("full_name"),
        pl.lit("9434765919").alias("nhs_number"),
        pl.lit("ZZ9 9ZZ").alias("postcode"),
        pl.lit("north").alias("team"),
    ).write_csv(folder / "children.csv")
    upload = _upload_and_check(client, pilot, SimpleUploadedFile("data.zip", zip_of(folder)))
    assert upload.status == DatasetUpload.Status.STORED
    assert upload.dropped_columns == [
        "children.csv: full_name, nhs_number, postcode, team not in the data contract, so not "
        "kept; full_name, nhs_number, postcode look like personal details and should not be "
        "sent at all."
    ]
    page = client.get(upload.get_absolute_url()).content.decode()
    assert "Columns that were not kept" in page and "should not be sent at all" in page
    for value in (b"Alex Example", b"9434765919", b"ZZ9 9ZZ"):
        assert not any(value in p.read_bytes() for p in _stored_files())
        assert value not in _database_text()


def test_two_uploads_are_told_apart(client: Client, tmp_path: Path) -> None:
    """The pilot page names each upload by its time to the second, its files and size, and
    each dataset by its rows."""
    pilot = make_pilot()
    client.force_login(analyst_of(pilot))
    first = _upload_and_check(
        client, pilot, SimpleUploadedFile("first.zip", zip_of(synthetic_folder(tmp_path / "a")))
    )
    second = _upload_and_check(
        client,
        pilot,
        SimpleUploadedFile(
            "second.zip", zip_of(synthetic_folder(tmp_path / "b", referrals=900, seed=5))
        ),
    )
    assert first.dataset is not None and second.dataset is not None
    page = client.get(pilot.get_absolute_url()).content.decode()
    from django.template.defaultfilters import date as date_filter
    from django.template.defaultfilters import filesizeformat
    from django.utils import timezone

    for upload in (first, second):
        assert date_filter(timezone.localtime(upload.created_at), "j M Y H:i:s") in page
        assert ", ".join(upload.file_names) in page
        assert str(filesizeformat(upload.size)) in page
        assert upload.dataset is not None
        assert f"Referrals: {upload.dataset.row_counts['referrals']}" in page
