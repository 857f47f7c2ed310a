"""The HTML report of a comparison: claims table, figures, parameters (one offline file)."""

from .html import render_report, write_report

__all__ = ["render_report", "write_report"]
