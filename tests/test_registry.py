import pytest

from priorkit.errors import RegistryError
from priorkit.registry import Registry


def test_lookup_ignores_case_dashes_and_underscores() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("depth_decay")(1)
    assert registry.get("Depth-Decay") == 1
    assert "DEPTH_DECAY" in registry


def test_unknown_name_lists_the_valid_ones() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("alpha")(1)
    registry.register("beta")(2)
    with pytest.raises(RegistryError, match=r"expected one of alpha, beta \(got 'gamma'"):
        registry.get("gamma")


def test_double_registration_is_refused() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("a")(1)
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register("A")(2)
