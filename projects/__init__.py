"""Persistence and the Project facade the front-ends call."""

from projects.project import ImportReport, Project, TakeView, Totals

__all__ = ["ImportReport", "Project", "TakeView", "Totals"]
