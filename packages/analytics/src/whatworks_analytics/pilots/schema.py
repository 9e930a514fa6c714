"""The pilot dataset data contract, written once.

A pilot dataset is a folder holding one file per table, named ``<table>.csv`` or
``<table>.parquet``.  This module declares the tables, their columns, the value type and
allowed codes of every column, each table's key, the references between tables and the
rules on the order of dates.  The validator (:mod:`whatworks_analytics.pilots.validate`),
the loader's dtypes, the synthetic generator and ``docs/data-contract.md`` (see
:func:`render_markdown`) are all driven by :data:`CONTRACT`.

Run ``python -m whatworks_analytics.pilots.schema docs/data-contract.md`` to rewrite the
generated part of the document after changing the contract.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

#: Separator between several codes in one CSV cell (e.g. assessment factors).
CODES_SEPARATOR = ";"

#: Markers around the generated part of ``docs/data-contract.md``.
BEGIN_MARKER = "<!-- BEGIN GENERATED FROM whatworks_analytics.pilots.schema -->"
END_MARKER = "<!-- END GENERATED FROM whatworks_analytics.pilots.schema -->"

#: How long before the birth month a referral or a child protection plan may start: the
#: length of a pregnancy (40 weeks).  Councils work with unborn children (pre-birth
#: referrals and assessments, plans under the category "unborn"); a child cannot be looked
#: after before birth.
PRE_BIRTH_DAYS = 280


class ColumnKind(enum.StrEnum):
    """The value type of a column, as written in a CSV cell."""

    ID = "id"
    DATE = "date"
    MONTH = "month"
    CODE = "code"
    CODES = "codes"
    BOOL = "bool"

    @property
    def describe(self) -> str:
        """How a value of this kind is written, for documents and messages."""
        return _KIND_DESCRIPTIONS[self]


_KIND_DESCRIPTIONS = {
    ColumnKind.ID: "pseudonymised identifier (text; surrounding spaces are ignored)",
    ColumnKind.DATE: "date, `YYYY-MM-DD`",
    ColumnKind.MONTH: "month, `YYYY-MM`",
    ColumnKind.CODE: "one code from the list below",
    ColumnKind.CODES: (
        f"zero or more codes from the list below, separated by `{CODES_SEPARATOR}` "
        "(an empty cell means none)"
    ),
    ColumnKind.BOOL: "`true` or `false` (also `1` / `0`; any letter case)",
}


@dataclass(frozen=True, kw_only=True)
class Code:
    """One allowed value of a coded column."""

    code: str
    label: str


@dataclass(frozen=True, kw_only=True)
class Column:
    """A column of a table: its name, value type, whether a value is required, its codes."""

    name: str
    kind: ColumnKind
    description: str
    required: bool = True
    codes: tuple[Code, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        """The allowed codes, in contract order (empty for uncoded columns)."""
        return tuple(code.code for code in self.codes)

    @property
    def dtype(self) -> pl.DataType:
        """The polars dtype of this column in a loaded dataset."""
        if self.kind is ColumnKind.ID:
            return pl.String()
        if self.kind in (ColumnKind.DATE, ColumnKind.MONTH):
            return pl.Date()
        if self.kind is ColumnKind.BOOL:
            return pl.Boolean()
        if self.kind is ColumnKind.CODE:
            return pl.Enum(list(self.allowed))
        return pl.List(pl.Enum(list(self.allowed)))


@dataclass(frozen=True, kw_only=True)
class Table:
    """A table of the dataset: one file in the folder."""

    name: str
    description: str
    key: str
    columns: tuple[Column, ...]
    may_be_empty: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in contract order."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` if there is none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def schema(self) -> pl.Schema:
        """The polars schema of this table in a loaded dataset."""
        return pl.Schema({column.name: column.dtype for column in self.columns})


@dataclass(frozen=True, kw_only=True)
class Reference:
    """Every non-empty ``table.column`` must be a key of ``target``."""

    table: str
    column: str
    target: str


@dataclass(frozen=True, kw_only=True)
class SameChild:
    """The row's ``child_id`` must equal the ``child_id`` of the row it refers to via ``via``."""

    table: str
    via: str
    target: str


@dataclass(frozen=True, kw_only=True)
class DateOrder:
    """``table.column`` must not be earlier than ``earlier_table.earlier_column``.

    With ``via`` empty the two dates are in the same row; otherwise ``via`` is the column of
    ``table`` that refers to ``earlier_table``.  Rows where either date is empty are not
    checked.  A month compares as its first day.  ``allowance_days`` lets the later date
    fall up to that many days before the earlier one (work with unborn children).
    """

    table: str
    column: str
    earlier_table: str
    earlier_column: str
    via: str | None = None
    allowance_days: int = 0

    @property
    def describe(self) -> str:
        """The rule in words."""
        bound = (
            "is not before"
            if not self.allowance_days
            else f"is not more than {self.allowance_days} days before"
        )
        if self.via is None:
            return f"`{self.column}` {bound} `{self.earlier_column}`"
        return (
            f"`{self.column}` {bound} `{self.earlier_table}.{self.earlier_column}` "
            f"of the row `{self.via}` refers to"
        )


@dataclass(frozen=True, kw_only=True)
class NotAfterFlag:
    """No row of ``table`` may refer (via ``via``) to a ``target`` row whose boolean
    ``flag`` is true: e.g. no assessment of a referral closed with no further action."""

    table: str
    via: str
    target: str
    flag: str
    meaning: str

    @property
    def describe(self) -> str:
        return (
            f"no `{self.table}` row refers through `{self.via}` to a `{self.target}` row "
            f"with `{self.flag}` true ({self.meaning})"
        )


@dataclass(frozen=True, kw_only=True)
class NoOverlap:
    """A child's periods in ``table`` do not overlap: each starts on or after the end of
    the one before (an empty ``end_date`` is still open)."""

    table: str
    meaning: str

    @property
    def describe(self) -> str:
        return (
            f"a child's rows do not overlap: each `start_date` is on or after the "
            f"`end_date` of the child's row before it, which must not be open ({self.meaning})"
        )


@dataclass(frozen=True, kw_only=True)
class Contract:
    """The whole data contract."""

    version: str
    tables: tuple[Table, ...]
    references: tuple[Reference, ...]
    same_child: tuple[SameChild, ...]
    date_orders: tuple[DateOrder, ...]
    not_after_flags: tuple[NotAfterFlag, ...] = ()
    no_overlaps: tuple[NoOverlap, ...] = ()

    @property
    def table_names(self) -> tuple[str, ...]:
        """The table names in contract order."""
        return tuple(table.name for table in self.tables)

    def table(self, name: str) -> Table:
        """The table called ``name``; ``KeyError`` if there is none."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"the contract has no table {name!r}")


def _codes(*pairs: tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(code=code, label=label) for code, label in pairs)


SEX_CODES = _codes(
    ("male", "Male"),
    ("female", "Female"),
    ("unknown", "Not known or not recorded (includes unborn children)"),
)

#: DfE major ethnic groups.
ETHNICITY_CODES = _codes(
    ("white", "White"),
    ("mixed", "Mixed"),
    ("asian", "Asian or Asian British"),
    ("black", "Black or Black British"),
    ("other", "Other ethnic group"),
    ("not_known", "Refused / information not yet obtained"),
)

DISABILITY_CODES = _codes(
    ("yes", "Has a disability"),
    ("no", "Has no disability"),
    ("unknown", "Not known"),
)

#: Referral source categories of the children in need census, as in the published shares.
REFERRAL_SOURCE_CODES = _codes(
    ("individual", "Individual (family member, relative, carer, acquaintance, self)"),
    ("schools", "Schools"),
    ("education_services", "Education services other than schools"),
    ("health", "Health services (GP, health visitor, school nurse, hospital, other)"),
    ("housing", "Housing"),
    ("la_services", "Local authority services (social care, other internal, external LA)"),
    ("police", "Police"),
    ("other_legal_agency", "Other legal agency (courts, probation, prison, YOT, CAFCASS)"),
    ("other", "Other"),
    ("anonymous", "Anonymous"),
    ("unknown", "Unknown"),
)

#: Factors identified at the end of assessment (children in need census).  The census splits
#: several factors by whose behaviour it concerns (the child, a parent or carer, another
#: person); the contract keeps one code per factor.
FACTOR_CODES = _codes(
    ("alcohol_misuse", "Alcohol misuse"),
    ("drug_misuse", "Drug misuse"),
    ("domestic_violence", "Domestic violence or abuse"),
    ("mental_health", "Mental health"),
    ("learning_disability", "Learning disability"),
    ("physical_disability", "Physical disability or illness"),
    ("young_carer", "Young carer"),
    ("privately_fostered", "Privately fostered"),
    ("unaccompanied_asylum_seeker", "Unaccompanied asylum-seeking child"),
    ("going_missing", "Going or being missing"),
    ("child_sexual_exploitation", "Child sexual exploitation"),
    ("child_criminal_exploitation", "Child criminal exploitation"),
    ("trafficking", "Trafficking"),
    ("gangs", "Gangs"),
    ("socially_unacceptable_behaviour", "Socially unacceptable behaviour"),
    ("self_harm", "Self-harm"),
    ("neglect", "Neglect"),
    ("emotional_abuse", "Emotional abuse"),
    ("physical_abuse", "Physical abuse"),
    ("sexual_abuse", "Sexual abuse"),
    ("female_genital_mutilation", "Female genital mutilation"),
    ("faith_or_belief_abuse", "Abuse linked to faith or belief"),
    ("other", "Other"),
)

#: Initial category of abuse of a child protection plan.
CPP_CATEGORY_CODES = _codes(
    ("neglect", "Neglect"),
    ("emotional_abuse", "Emotional abuse"),
    ("physical_abuse", "Physical abuse"),
    ("sexual_abuse", "Sexual abuse"),
    ("multiple", "Multiple categories"),
)

#: Legal status at the start of an episode of care.
LEGAL_STATUS_CODES = _codes(
    ("care_order", "Interim or full care order"),
    ("placement_order", "Placement order granted"),
    ("section_20_voluntary", "Accommodated under section 20 (voluntary agreement)"),
    ("other", "Other (police protection, emergency protection order, remand, ...)"),
)


def _id(name: str, description: str) -> Column:
    return Column(name=name, kind=ColumnKind.ID, description=description)


def _date(name: str, description: str, *, required: bool = True) -> Column:
    return Column(name=name, kind=ColumnKind.DATE, description=description, required=required)


_CHILD_REF = "The child (a `child_id` of `children`)."
_REFERRAL_REF = "The referral that led to it (a `referral_id` of `referrals`)."
_ONGOING = "Date it ended; empty while it is ongoing."

CONTRACT = Contract(
    version="1",
    tables=(
        Table(
            name="children",
            description="One row per child who appears in any other table.",
            key="child_id",
            columns=(
                _id("child_id", "Pseudonymised child identifier, unique in the table."),
                Column(
                    name="birth_month",
                    kind=ColumnKind.MONTH,
                    description="Month of birth (the day is withheld).",
                ),
                Column(name="sex", kind=ColumnKind.CODE, description="Sex.", codes=SEX_CODES),
                Column(
                    name="ethnicity",
                    kind=ColumnKind.CODE,
                    description="DfE major ethnic group.",
                    codes=ETHNICITY_CODES,
                ),
                Column(
                    name="disability",
                    kind=ColumnKind.CODE,
                    description="Whether the child has a disability.",
                    codes=DISABILITY_CODES,
                ),
            ),
        ),
        Table(
            name="referrals",
            description="One row per referral to children's social care.",
            key="referral_id",
            columns=(
                _id("referral_id", "Pseudonymised referral identifier, unique in the table."),
                _id("child_id", _CHILD_REF),
                _date("referral_date", "Date the referral was received."),
                Column(
                    name="source",
                    kind=ColumnKind.CODE,
                    description="Who made the referral (children in need census categories).",
                    codes=REFERRAL_SOURCE_CODES,
                ),
                Column(
                    name="nfa",
                    kind=ColumnKind.BOOL,
                    description="No further action: the referral was closed without assessment.",
                ),
            ),
        ),
        Table(
            name="assessments",
            description="One row per children and families assessment.",
            key="assessment_id",
            may_be_empty=True,
            columns=(
                _id("assessment_id", "Pseudonymised assessment identifier, unique."),
                _id("child_id", _CHILD_REF),
                _id("referral_id", _REFERRAL_REF),
                _date("start_date", "Date the assessment started."),
                _date(
                    "end_date",
                    "Date the assessment was completed; empty while ongoing.",
                    required=False,
                ),
                Column(
                    name="factors",
                    kind=ColumnKind.CODES,
                    description=(
                        "Factors identified at the end of the assessment; empty when none "
                        "were recorded or the assessment is ongoing."
                    ),
                    required=False,
                    codes=FACTOR_CODES,
                ),
            ),
        ),
        Table(
            name="s47_enquiries",
            description="One row per section 47 enquiry.",
            key="s47_id",
            may_be_empty=True,
            columns=(
                _id("s47_id", "Pseudonymised enquiry identifier, unique."),
                _id("child_id", _CHILD_REF),
                _id("referral_id", _REFERRAL_REF),
                _date("start_date", "Date the enquiry started."),
                _date("end_date", _ONGOING, required=False),
                _date(
                    "icpc_date",
                    "Date of the initial child protection conference; empty when none was held.",
                    required=False,
                ),
            ),
        ),
        Table(
            name="child_protection_plans",
            description="One row per child protection plan.",
            key="cpp_id",
            may_be_empty=True,
            columns=(
                _id("cpp_id", "Pseudonymised plan identifier, unique."),
                _id("child_id", _CHILD_REF),
                _date("start_date", "Date the plan started."),
                _date("end_date", _ONGOING, required=False),
                Column(
                    name="category",
                    kind=ColumnKind.CODE,
                    description="Initial category of abuse.",
                    codes=CPP_CATEGORY_CODES,
                ),
            ),
        ),
        Table(
            name="looked_after_episodes",
            description="One row per episode of being looked after (in care).",
            key="episode_id",
            may_be_empty=True,
            columns=(
                _id("episode_id", "Pseudonymised episode identifier, unique."),
                _id("child_id", _CHILD_REF),
                _date("start_date", "Date the episode started."),
                _date("end_date", _ONGOING, required=False),
                Column(
                    name="legal_status",
                    kind=ColumnKind.CODE,
                    description="Legal status at the start of the episode.",
                    codes=LEGAL_STATUS_CODES,
                ),
            ),
        ),
    ),
    references=(
        Reference(table="referrals", column="child_id", target="children"),
        Reference(table="assessments", column="child_id", target="children"),
        Reference(table="assessments", column="referral_id", target="referrals"),
        Reference(table="s47_enquiries", column="child_id", target="children"),
        Reference(table="s47_enquiries", column="referral_id", target="referrals"),
        Reference(table="child_protection_plans", column="child_id", target="children"),
        Reference(table="looked_after_episodes", column="child_id", target="children"),
    ),
    same_child=(
        SameChild(table="assessments", via="referral_id", target="referrals"),
        SameChild(table="s47_enquiries", via="referral_id", target="referrals"),
    ),
    date_orders=(
        DateOrder(
            table="referrals",
            column="referral_date",
            earlier_table="children",
            earlier_column="birth_month",
            via="child_id",
            allowance_days=PRE_BIRTH_DAYS,
        ),
        DateOrder(
            table="assessments",
            column="end_date",
            earlier_table="assessments",
            earlier_column="start_date",
        ),
        DateOrder(
            table="assessments",
            column="start_date",
            earlier_table="referrals",
            earlier_column="referral_date",
            via="referral_id",
        ),
        DateOrder(
            table="s47_enquiries",
            column="end_date",
            earlier_table="s47_enquiries",
            earlier_column="start_date",
        ),
        DateOrder(
            table="s47_enquiries",
            column="icpc_date",
            earlier_table="s47_enquiries",
            earlier_column="start_date",
        ),
        DateOrder(
            table="s47_enquiries",
            column="start_date",
            earlier_table="referrals",
            earlier_column="referral_date",
            via="referral_id",
        ),
        DateOrder(
            table="child_protection_plans",
            column="end_date",
            earlier_table="child_protection_plans",
            earlier_column="start_date",
        ),
        DateOrder(
            table="child_protection_plans",
            column="start_date",
            earlier_table="children",
            earlier_column="birth_month",
            via="child_id",
            allowance_days=PRE_BIRTH_DAYS,
        ),
        DateOrder(
            table="looked_after_episodes",
            column="end_date",
            earlier_table="looked_after_episodes",
            earlier_column="start_date",
        ),
        DateOrder(
            table="looked_after_episodes",
            column="start_date",
            earlier_table="children",
            earlier_column="birth_month",
            via="child_id",
        ),
    ),
    not_after_flags=(
        NotAfterFlag(
            table="assessments",
            via="referral_id",
            target="referrals",
            flag="nfa",
            meaning="a referral closed with no further action was not assessed",
        ),
    ),
    no_overlaps=(
        NoOverlap(
            table="child_protection_plans",
            meaning="a child has at most one child protection plan at a time",
        ),
        NoOverlap(
            table="looked_after_episodes",
            meaning="a child is in at most one episode of care at a time",
        ),
    ),
)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(contract: Contract = CONTRACT) -> str:
    """The generated part of ``docs/data-contract.md``: every table, column, code and rule."""
    lines: list[str] = [
        BEGIN_MARKER,
        "",
        f"## Tables (contract version {contract.version})",
        "",
        "| table | file | key | may be empty |",
        "|---|---|---|---|",
    ]
    for table in contract.tables:
        lines.append(
            f"| `{table.name}` | `{table.name}.csv` or `{table.name}.parquet` | "
            f"`{table.key}` | {'yes' if table.may_be_empty else 'no'} |"
        )
    for table in contract.tables:
        lines += ["", f"### `{table.name}`", "", table.description, ""]
        lines += ["| column | type | required | meaning |", "|---|---|---|---|"]
        for column in table.columns:
            lines.append(
                f"| `{column.name}` | {column.kind.value}: {column.kind.describe} | "
                f"{'yes' if column.required else 'no'} | {_escape(column.description)} |"
            )
        for column in table.columns:
            if not column.codes:
                continue
            lines += ["", f"Codes of `{table.name}.{column.name}`:", ""]
            lines += ["| code | meaning |", "|---|---|"]
            lines += [f"| `{code.code}` | {_escape(code.label)} |" for code in column.codes]
    lines += ["", "## References", ""]
    lines += ["| column | must be a key of |", "|---|---|"]
    for reference in contract.references:
        target_key = contract.table(reference.target).key
        lines.append(
            f"| `{reference.table}.{reference.column}` | `{reference.target}.{target_key}` |"
        )
    lines += ["", "The referral a row refers to must belong to the same child:", ""]
    for rule in contract.same_child:
        lines.append(
            f"- `{rule.table}.child_id` equals the `child_id` of the `{rule.target}` row "
            f"that `{rule.table}.{rule.via}` refers to."
        )
    lines += ["", "## Order of dates", "", "Checked only where both dates are present.", ""]
    lines += ["| table | rule |", "|---|---|"]
    lines += [f"| `{rule.table}` | {rule.describe} |" for rule in contract.date_orders]
    if contract.not_after_flags or contract.no_overlaps:
        lines += ["", "## Consistency", "", "| table | rule |", "|---|---|"]
        lines += [f"| `{r.table}` | {r.describe} |" for r in contract.not_after_flags]
        lines += [f"| `{r.table}` | {r.describe} |" for r in contract.no_overlaps]
    lines += ["", END_MARKER]
    return "\n".join(lines) + "\n"


def update_markdown(text: str, contract: Contract = CONTRACT) -> str:
    """``text`` with the part between the generated markers replaced by a fresh rendering."""
    start = text.index(BEGIN_MARKER)
    end = text.index(END_MARKER) + len(END_MARKER)
    rendered = render_markdown(contract).rstrip("\n")
    return text[:start] + rendered + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the generated part of the Markdown file named on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m whatworks_analytics.pilots.schema DOC.md", file=sys.stderr)
        return 2
    path = Path(args[0])
    path.write_text(update_markdown(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
