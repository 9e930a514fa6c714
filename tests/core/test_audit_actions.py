"""Every audit action a call passes is one of ``core.audit_actions``' constants.

A call may pass ``AuditAction.X`` (checked by mypy) or, while callers move over, a string
literal — but only one that is a constant's value; an f-string only in a declared family.
So a new kind of audit entry, or a typo in one, fails here (and at the merge) until it is
added to :class:`~whatworks.core.audit_actions.AuditAction`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from whatworks.core.audit_actions import AUDIT_ACTION_FAMILIES, AuditAction

SOURCE = Path(__file__).resolve().parents[2] / "src" / "whatworks"
#: The functions whose ``action`` is written to the audit log as given.
AUDITING = {"audit_record", "pilot_access_record", "trial_data_access_record"}


def _template(node: ast.JoinedStr) -> str:
    return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)


def unknown_actions(tree: ast.AST) -> list[str]:
    """The actions passed in ``tree`` that are neither a constant's value nor a family."""
    known = {str(a) for a in AuditAction}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in AUDITING:
            continue
        for keyword in node.keywords:
            if keyword.arg != "action":
                continue
            values = [keyword.value]
            while values:
                value = values.pop()
                if isinstance(value, ast.IfExp):
                    values += [value.body, value.orelse]
                elif isinstance(value, ast.Constant) and value.value not in known:
                    found.append(f"{node.lineno}: {value.value!r}")
                elif (
                    isinstance(value, ast.JoinedStr)
                    and _template(value) not in AUDIT_ACTION_FAMILIES
                ):
                    found.append(f"{node.lineno}: f{_template(value)!r}")
    return found


def test_every_action_passed_to_the_audit_log_is_a_declared_constant() -> None:
    problems = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        problems += [f"{path.relative_to(SOURCE)}:{p}" for p in unknown_actions(tree)]
    assert problems == [], "add these to core/audit_actions.py (AuditAction)"


def test_the_check_catches_an_unknown_literal_an_unknown_branch_and_an_unknown_family() -> None:
    code = """
audit_record(actor=None, action="panel.poll_opened")
audit_record(actor=None, action=AuditAction.PANEL_POLL_OPENED)
audit_record(actor=None, action="panel.poll_opend")
pilot_access_record(actor=None, action="pilot.viewed" if x else "pilot.peeked")
audit_record(actor=None, action=f"pilot.run_{status}")
audit_record(actor=None, action=f"pilot.walk_{status}")
something_else(action="not.audited")
"""
    assert unknown_actions(ast.parse(code)) == [
        "4: 'panel.poll_opend'",
        "5: 'pilot.peeked'",
        "7: f'pilot.walk_{}'",
    ]


def test_a_constant_is_the_text_the_log_stores() -> None:
    # a StrEnum member equals its text, which mypy's literal types cannot see
    assert AuditAction.PANEL_POLL_OPENED == "panel.poll_opened"  # type: ignore[comparison-overlap]
    assert f"{AuditAction.PANEL_POLL_OPENED}" == "panel.poll_opened"
    assert all(
        str(a) == a.value and a.name == a.value.upper().replace(".", "_") for a in AuditAction
    )
