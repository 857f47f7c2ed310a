"""The audit: a linter for social scoring rulebooks.

Rules check a rulebook against rule-of-law principles (Fuller's eight, legality, ne bis in
idem, presumption of innocence, due process, proportionality, privacy, association) and the
EU AI Act's ban on social scoring (Art. 5(1)(c)); findings point at the file, line and
column. See docs/audit.md.

    >>> from scslab.audit import audit_file
    >>> report = audit_file("rongcheng")
    >>> report.verdict.conclusion  # doctest: +SKIP
"""

from .findings import SEVERITIES, Finding
from .html_section import report_section, report_sections
from .registry import PRINCIPLES, RULES, Rule, all_rules, select_rules
from .relatedness import load_relatedness
from .runner import AuditReport, audit, audit_file, audit_text

all_rules()  # import the principle modules, so RULES is complete from here on

__all__ = [
    "PRINCIPLES", "RULES", "SEVERITIES", "AuditReport", "Finding", "Rule", "all_rules", "audit",
    "audit_file", "audit_text", "load_relatedness", "report_section", "report_sections", "select_rules",
]
