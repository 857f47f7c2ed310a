"""The sources the audit's rules rest on, with links, found in a rule's legal reference.

A rule cites its sources in a short string (`legal_reference`, e.g. "FCRA s.611(a)(1);
EU Charter Art. 47"); `references_in` turns every source named there into a `Reference`
with a title and, where a stable public text exists, a URL. The catalogue is checked by
the tests: every source a rule names must be in it, and every rule gets at least one link.
Sources without a stable English text online (Fuller's book, NDRC orders) are listed
without a link rather than with a guessed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    title: str
    url: str | None = None

    @property
    def markdown(self) -> str:
        return f"[{self.title}]({self.url})" if self.url else self.title

    @property
    def text(self) -> str:
        return f"{self.title} <{self.url}>" if self.url else self.title


_AI_ACT = "https://eur-lex.europa.eu/eli/reg/2024/1689/oj"
_GDPR = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"

# (pattern in a legal reference, the source). Order is the order references are listed in.
CATALOGUE: tuple[tuple[str, Reference], ...] = (
    (r"\bAI Act\b|Annex III", Reference("Regulation (EU) 2024/1689 (AI Act), Art. 5(1)(c), Annex III", _AI_ACT)),
    (r"Commission guidelines", Reference(
        "European Commission, Guidelines on prohibited artificial intelligence practices (4 February 2025)",
        "https://digital-strategy.ec.europa.eu/en/library/commission-publishes-guidelines-prohibited-artificial-"
        "intelligence-ai-practices-defined-ai-act")),
    (r"EU Charter", Reference("Charter of Fundamental Rights of the European Union",
                              "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:12012P/TXT")),
    (r"\bECHR\b", Reference("European Convention on Human Rights", "https://www.echr.coe.int/documents/d/echr/convention_ENG")),
    (r"\bGDPR\b", Reference("Regulation (EU) 2016/679 (GDPR)", _GDPR)),
    (r"FCRA s\.605", Reference("Fair Credit Reporting Act s.605, 15 U.S.C. 1681c (obsolete information)",
                               "https://www.law.cornell.edu/uscode/text/15/1681c")),
    (r"FCRA s\.609", Reference("Fair Credit Reporting Act s.609, 15 U.S.C. 1681g (disclosures to consumers)",
                               "https://www.law.cornell.edu/uscode/text/15/1681g")),
    (r"FCRA s\.611|FCRA\s*$|FCRA;", Reference("Fair Credit Reporting Act s.611, 15 U.S.C. 1681i (disputes, reinvestigation)",
                                             "https://www.law.cornell.edu/uscode/text/15/1681i")),
    (r"FCRA s\.615", Reference("Fair Credit Reporting Act s.615, 15 U.S.C. 1681m (adverse-action notices)",
                               "https://www.law.cornell.edu/uscode/text/15/1681m")),
    (r"Regulation B", Reference("Regulation B (ECOA), 12 CFR 1002.9 (notifications)",
                                "https://www.ecfr.gov/current/title-12/chapter-X/part-1002/section-1002.9")),
    (r"CFPB Circular 2022-03", Reference(
        "CFPB Circular 2022-03, adverse action notices and complex algorithms",
        "https://www.consumerfinance.gov/compliance/circulars/circular-2022-03-adverse-action-notification-"
        "requirements-in-connection-with-credit-decisions-based-on-complex-algorithms/")),
    (r"UNISON", Reference("R (UNISON) v Lord Chancellor [2017] UKSC 51 (fees that price people out of a remedy)",
                          "https://www.bailii.org/uk/cases/UKSC/2017/51.html")),
    (r"Kreuz", Reference("Kreuz v Poland, ECtHR no. 28249/95, 19 June 2001 (court fees and access to a court)",
                         "http://www.bailii.org/eu/cases/ECHR/2001/398.html")),
    (r"Fuller", Reference("Lon L. Fuller, The Morality of Law (Yale University Press, 1964), ch. 2; "
                          "summarised in the Stanford Encyclopedia of Philosophy, 'The Rule of Law'",
                          "https://plato.stanford.edu/entries/rule-of-law/")),
    (r"Guo Ban Fa \[2020\] No\. 49", Reference(
        "State Council General Office, Guiding Opinions on further improving the systems restricting "
        "dishonesty (Guo Ban Fa [2020] No. 49)",
        "https://www.gov.cn/zhengce/content/2020-12/18/content_5570954.htm")),
    (r"SPC provisions 2017", Reference(
        "Supreme People's Court, Several Provisions on the Release of the Judgment Defaulters List (2017): "
        "Art. 2 (duration), Art. 10 (deletion within three working days of performance)",
        "https://www.chinalawtranslate.com/en/%E9%AB%98%E9%99%A2%E5%85%B3%E4%BA%8E%E5%85%AC%E5%B8%83%E5%A4%B1"
        "%E4%BF%A1%E8%A2%AB%E6%89%A7%E8%A1%8C%E4%BA%BA%E5%90%8D%E5%8D%95%E4%BF%A1%E6%81%AF%E7%9A%84%E8%A7%84"
        "%E5%AE%9A%EF%BC%882017%E5%B9%B4/")),
    (r"NDRC Order No\. 58", Reference(
        "NDRC Order No. 58 (2023), Measures for the repair of credit information after dishonest conduct is corrected")),
    (r"NDRC credit repair measures \(2025\)", Reference(
        "NDRC Credit Repair Measures (2025): publication periods by gravity (minor at most 3 months, "
        "general 3 months to 1 year, serious 1 to 3 years)")),
)
_COMPILED = tuple((re.compile(p), ref) for p, ref in CATALOGUE)


def references_in(legal_reference: str) -> list[Reference]:
    """The catalogued sources a legal reference names, in catalogue order."""
    return [ref for pat, ref in _COMPILED if pat.search(legal_reference)]


def unknown_sources(legal_reference: str) -> list[str]:
    """Parts of a legal reference (split on ';') that name no catalogued source."""
    return [part.strip() for part in legal_reference.split(";")
            if part.strip() and not any(pat.search(part) for pat, _ in _COMPILED)]
