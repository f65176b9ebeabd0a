"""What the search hands back: the setups it offers, each re-planned from its edited profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vllm_wizard.planning.search.edits import Edits

if TYPE_CHECKING:
    from vllm_wizard.planning.plan import PlanCore


@dataclass(frozen=True, slots=True)
class Found:
    """A setup the search offers, re-planned from the edited profile."""

    goal: str
    """`start` or `fit`: what it was searched for (`workload`: a smaller workload)."""
    edits: Edits
    core: PlanCore
    reasons: tuple[str, ...]

    @property
    def cost(self) -> tuple[int, int]:
        """(GPUs used, nodes) of the re-planned setup."""
        setup = self.core.setup
        return setup.tp * setup.pp, self.core.profile.hardware.nodes


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What the search found: setups that start, setups that fit, the longest max_model_len."""

    starting: tuple[Found, ...] = ()
    """The cheapest few setups that start (empty when the profile starts)."""
    fitting: tuple[Found, ...] = ()
    """The cheapest setups that fit the workload (one when the profile does not start)."""
    longest_max_model_len: int = 0
