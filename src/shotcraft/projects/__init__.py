"""Persistence and the Project facade the front-ends call."""

from shotcraft.projects.export import export_options
from shotcraft.projects.importing import ImportReport
from shotcraft.projects.project import Project
from shotcraft.projects.takes import TakeView, Totals

__all__ = ["ImportReport", "Project", "TakeView", "Totals", "export_options"]
