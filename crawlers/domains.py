"""Research domain of a paper from its keywords, title and abstract: a fixed, documented rule.

Each domain is a list of term patterns. A pattern found in the paper's keywords scores 3, in its
title 2, in its abstract or TL;DR 1 (each pattern counts once per field, and patterns of one domain
that overlap in the text, such as "graph neural" and "graphs", count once). The paper's domain is the
one with the highest total; a tie goes to the domain listed first in :data:`DOMAINS` (the more
specific ones come first: graphs before vision, generative models before vision, ...). No term at
all gives ``other``. Keywords weigh most because authors chose them to say what the paper is about;
the abstract least because it also names what a paper merely compares with.

The rule is deliberately plain (no model, no training data): the same papers always get the same
domain, a reader can check any assignment against ``domain_evidence`` in papers.csv, and the
terms can be argued with and changed in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WEIGHTS = {"keywords": 3, "title": 2, "abstract": 1}

OTHER = "other"


def _terms(*patterns: str) -> tuple[str, ...]:
    return patterns


#: Domains in tie-break order, each with its term patterns (regular expressions, word-initial).
DOMAINS: dict[str, tuple[str, ...]] = {
    "graphs": _terms(
        r"graph neural",
        r"gnns?\b",
        r"graphs?\b",
        r"message[- ]passing",
        r"node (?:classification|embedding)",
        r"link prediction",
        r"knowledge graph",
        r"relational",
    ),
    "reinforcement learning": _terms(
        r"reinforcement learning",
        r"(?:deep |offline |multi-agent |model-based )?rl\b",
        r"policy gradients?",
        r"q-learning",
        r"actor[- ]critic",
        r"multi-agent",
        r"markov decision",
        r"mdps?\b",
        r"bandits?\b",
        r"imitation learning",
        r"reward",
        r"exploration\b",
        r"robot",
        r"control\b",
    ),
    "language": _terms(
        r"natural language",
        r"nlp\b",
        r"language models?",
        r"language modell?ing",
        r"machine translation",
        r"translation\b",
        r"question answering",
        r"text\b",
        r"word (?:embeddings?|vectors?)",
        r"bert\b",
        r"gpt",
        r"llms?\b",
        r"large language",
        r"summari[sz]ation",
        r"dialog",
        r"sentiment",
        r"parsing\b",
        r"named entit",
        r"tokeni[sz]",
        r"linguistic",
    ),
    "speech & audio": _terms(
        r"speech",
        r"audio",
        r"acoustic",
        r"music",
        r"speaker",
        r"voice",
        r"sound\b",
        r"asr\b",
    ),
    "generative models": _terms(
        r"generative",
        r"gans?\b",
        r"variational auto-?encoders?",
        r"vaes?\b",
        r"diffusion models?",
        r"denoising diffusion",
        r"score-based",
        r"normali[sz]ing flows?",
        r"density estimation",
        r"image generation",
        r"text-to-image",
        r"image synthesis",
    ),
    "vision": _terms(
        r"computer vision",
        r"images?\b",
        r"object detection",
        r"detection\b",
        r"segmentation",
        r"visual\b",
        r"video",
        r"point clouds?",
        r"3d\b",
        r"faces?\b",
        r"pose estimation",
        r"super-resolution",
        r"vision\b",
        r"imagenet",
        r"cifar",
        r"convolutional",
    ),
    "robustness & privacy": _terms(
        r"adversarial (?:examples?|attacks?|robustness|training|perturbations?|defen[cs]es?)",
        r"robustness",
        r"certified",
        r"certifiabl",
        r"backdoor",
        r"poisoning",
        r"privacy",
        r"private\b",
        r"differential(?:ly)? priva",
        r"federated",
        r"fairness",
        r"membership inference",
        r"attacks?\b",
        r"out-of-distribution",
        r"ood\b",
        r"distribution shift",
    ),
    "science": _terms(
        r"molecul",
        r"protein",
        r"drug",
        r"chemi",
        r"physics",
        r"physical systems?",
        r"pdes?\b",
        r"partial differential",
        r"climate",
        r"material",
        r"biolog",
        r"medical",
        r"health",
        r"genom",
    ),
    "optimization": _terms(
        r"optimi[sz]ation",
        r"optimi[sz]ers?",
        r"sgd\b",
        r"stochastic gradient",
        r"gradient descent",
        r"convergence",
        r"learning rates?",
        r"adam\b",
        r"non-?convex",
        r"convex\b",
        r"hyperparameter",
        r"second-order",
        r"momentum",
    ),
    "theory": _terms(
        r"theory",
        r"theoretical",
        r"generali[sz]ation bounds?",
        r"pac\b",
        r"pac-bayes",
        r"sample complexity",
        r"regret",
        r"provabl",
        r"neural tangent",
        r"ntk\b",
        r"expressiv",
        r"approximation theory",
        r"statistical learning",
        r"lower bounds?",
        r"upper bounds?",
        r"minimax",
    ),
}


@dataclass(frozen=True)
class DomainCall:
    """The domain a paper gets and the terms that gave it (for papers.csv's ``domain_evidence``)."""

    domain: str
    score: int
    evidence: str


#: Each domain's terms in one expression, a named group per term, so a field is scanned once per
#: domain. Terms of one domain that overlap in the text ("graph neural" and "graphs") count once.
_COMPILED = {
    domain: re.compile("|".join(rf"\b(?P<t{i}>{p})" for i, p in enumerate(patterns)), re.IGNORECASE)
    for domain, patterns in DOMAINS.items()
}


def classify(title: str, keywords: list[str] | str, abstract: str = "") -> DomainCall:
    """The paper's domain by the module rule; ``other`` (score 0) when no term matches."""
    fields = {
        "keywords": "; ".join(keywords) if isinstance(keywords, list) else keywords or "",
        "title": title or "",
        "abstract": abstract or "",
    }
    best = DomainCall(OTHER, 0, "")
    for domain, pattern in _COMPILED.items():
        score, evidence = 0, []
        for name, text in fields.items():
            terms: dict[str, str] = {}
            for match in pattern.finditer(text):
                terms.setdefault(str(match.lastgroup), match.group(0).lower())
            score += WEIGHTS[name] * len(terms)
            evidence += [f"{name} '{term}'" for term in terms.values()]
        if score > best.score:
            best = DomainCall(domain, score, f"{domain} {score}: " + ", ".join(evidence))
    return best
