"""Association: nobody is scored for the conduct or the scores of their contacts."""

from __future__ import annotations

from .findings import Finding
from .registry import rule


@rule(
    code="SCS261", name="association-penalty", severity="high", principle="association",
    legal_reference="EU Charter Arts. 12 (association), 49(3); AI Act Art. 5(1)(c)(ii)",
    summary="Citizens lose points for ties to blacklisted people.",
    what="Flags `network.association_penalty` above 0.",
    why="""Guilt by association punishes people for what others did, and pushes everyone to cut
    ties with the listed: the listed lose their networks, and friends, colleagues and
    relatives pay for conduct that was not theirs.""",
    use_instead="Drop the association penalty (`network.association_penalty: 0`).",
    bad="""
    network: {association_penalty: 0.5}
    """,
    good="""
    network: {association_penalty: 0}
    """,
)
def association_penalty(rb, ctx):
    if rb.network.association_penalty > 0:
        yield Finding.at(("network", "association_penalty"),
                         f"citizens lose {rb.network.association_penalty:g} points a day for each tie to a blacklisted person",
                         "drop the association penalty (`network.association_penalty: 0`)")


@rule(
    code="SCS262", name="peer-score-influence", severity="medium", principle="association",
    legal_reference="EU Charter Art. 12; AI Act Art. 5(1)(c) (personal characteristics)",
    summary="A citizen's score moves toward their contacts' scores.",
    what="Flags `network.peer_weight` above 0 (a Sesame-style 'connections' dimension).",
    why="""When friends' scores lift or drag one's own, people are rated by whom they know, and
    have a reason to drop low-scoring friends: the score sorts society into closed circles.""",
    use_instead="Score people on their own conduct only (`network.peer_weight: 0`).",
    bad="""
    network: {peer_weight: 0.05}
    """,
    good="""
    network: {peer_weight: 0}
    """,
)
def peer_score_influence(rb, ctx):
    if rb.network.peer_weight > 0:
        yield Finding.at(("network", "peer_weight"),
                         f"a citizen's score moves {rb.network.peer_weight * 100:.3g}% of the way to their contacts' mean score each day",
                         "score people on their own conduct only (`network.peer_weight: 0`)")
