"""A two-node UCCX cluster (publisher and subscriber, as UCCX high availability has them):
Smart Licensing runs on the publisher only. The subscriber licenses nothing itself: its
licensing commands say where to run them, its agents log in against the publisher's
licenses, and it has no licensing timers of its own."""

from __future__ import annotations

from ccxcli.errors import RuleError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState

# the commands that run on the publisher only: the licensing CLI and its show commands
LICENSING = (("license",), ("show", "license"))


def publisher_of(node: NodeState) -> str | None:
    """The publisher this node is the subscriber of (None: a standalone node or a publisher)."""
    return node.get("publisher")


def refusal(node: NodeState, words: tuple[str, ...]) -> str | None:
    """Why a command is refused on this node: a licensing command on a subscriber; else None."""
    publisher = publisher_of(node)
    if publisher is None or not any(words[: len(w)] == w for w in LICENSING):
        return None
    return (
        f"Smart Licensing runs on the publisher of this cluster: run '{' '.join(words)}' on node {publisher}. "
        f"This node ({node['name']}) is its subscriber; its agents count on the publisher's licenses."
    )


def check_publisher(publisher: NodeState, subscribers: list[str]) -> None:
    """Check that `publisher` may take a subscriber (UCCX high availability: two nodes)."""
    if publisher_of(publisher) is not None:
        raise RuleError(f"Node {publisher['name']} is itself a subscriber (of {publisher_of(publisher)}).")
    if subscribers:
        raise RuleError(
            f"Node {publisher['name']} already has a subscriber ({subscribers[0]}): a UCCX cluster has two nodes."
        )
    if publisher["classic"]:
        raise RuleError(f"Node {publisher['name']} runs Classic Licensing: Smart Licensing clusters only.")
