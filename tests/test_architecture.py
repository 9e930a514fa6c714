"""The claims of docs/ARCHITECTURE.md that a tool can check, checked.

Each test names the claim it keeps true.  The import contracts (pyproject's
``[tool.importlinter]``) check the layers; these check what import-linter cannot see.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin

SOURCE = Path(__file__).resolve().parents[1] / "src" / "whatworks"


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(SOURCE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
    ]


ENVIRONMENT = {"environ", "getenv", "environb"}


def _reads_environment(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {alias.name for alias in node.names} & ENVIRONMENT
        ):
            return True
    return False


def _imports(tree: ast.Module, package: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == package or a.name.startswith(package + ".") for a in node.names
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and (node.module == package or node.module.startswith(package + "."))
        ):
            return True
    return False


def test_only_config_and_the_entry_point_read_the_environment() -> None:
    """Environment → settings: only ``config/`` reads ``os.environ``, and ``cli.py``, the
    entry point, which chooses the settings module and serve's defaults before Django starts."""
    readers = {name for name, tree in _modules() if _reads_environment(tree)} - {"cli.py"}
    assert readers, "the check found no reader at all: it is broken"
    assert {r for r in readers if not r.startswith("config/")} == set()


def test_only_the_cores_task_modules_touch_the_queues_tables() -> None:
    """Platform → queue: only ``core/tasks_support.py`` and ``core/services/background.py`` import
    django-tasks-db (its models are the queue's tables)."""
    importers = {name for name, tree in _modules() if _imports(tree, "django_tasks_db")}
    assert importers == {"core/tasks_support.py", "core/services/background.py"}


def test_every_part_has_an_admin_except_the_pilots() -> None:
    """Each part registers its models in the admin, every one an ``AuditedAdmin`` (tested
    in tests/core/test_admin_audit.py); the pilots have none: their records hold or point
    at child-level data and are seen only through the pilots' own, audited pages."""
    parts = {"evidence", "registry", "pilots", "panel", "forum", "events", "calls", "news"}
    with_admin = {model._meta.app_label for model in admin.site._registry} & parts
    assert with_admin == parts - {"pilots"}


def _method_calls(tree: ast.Module, method: str) -> list[ast.Attribute]:
    """Every ``<something>.<method>(...)`` in the module (its callee, the attribute)."""
    return [
        node.func
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
    ]


@pytest.mark.parametrize("method", ["get_model", "get_app_config"])
def test_no_part_reaches_another_parts_models_by_name(method: str) -> None:
    """Claim (Boundaries, part → part): no part reaches another's models or app config by
    name (``apps.get_model``, ``apps.get_app_config``); crossings go through a declared
    import or ``core/extensions.py``.  Only ``config/`` (and the migrations, which are not
    read here) may."""
    callers = [name for name, tree in _modules() if _method_calls(tree, method)]
    assert [name for name in callers if not name.startswith("config/")] == []


def test_only_the_core_queue_enqueues() -> None:
    """Claim (Background work): work goes on the queue one way, ``core.queue.enqueue``
    (``task_start`` calls it too); nothing else calls django-tasks' ``Task.enqueue``."""
    through_the_core = [
        name
        for name, tree in _modules()
        for callee in _method_calls(tree, "enqueue")
        if isinstance(callee.value, ast.Name) and callee.value.id == "queue"
    ]
    assert through_the_core, "the check found no use of queue.enqueue at all: it is broken"
    direct = {
        name
        for name, tree in _modules()
        for callee in _method_calls(tree, "enqueue")
        if not (isinstance(callee.value, ast.Name) and callee.value.id == "queue")
    }
    assert direct == {"core/queue.py"}


def test_mail_is_sent_one_way() -> None:
    """Claim (code map, ``core/mail.py``): messages are built and sent through the core's
    ``mail_message`` and ``mail_send`` (a batch over one ``mail_batch_connection``, as the
    newsletter sends); nothing else imports Django's mail."""
    importers = [name for name, tree in _modules() if _imports(tree, "django.core.mail")]
    assert importers == ["core/mail.py"]
    senders = [name for name, tree in _modules() if _method_calls(tree, "send_messages")]
    assert senders == ["core/mail.py"]
