import pytest
from django.urls import reverse
from tests.conftest import ROLES
from tests.test_permissions import MATRIX

NAMES = sorted(n for n, (_, e) in MATRIX.items() if 405 in e.values())

@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", NAMES)
def test_probe(client_for, name, role):
    kwargs, _ = MATRIX[name]
    made = kwargs() if callable(kwargs) else kwargs
    c = client_for(role)
    r = c.post(reverse(name, kwargs=made), {})
    loc = r.get("Location", "")
    print(f"PROBE {name} {role} {r.status_code} {loc[:40]}")
