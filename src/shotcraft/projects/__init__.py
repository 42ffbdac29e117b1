"""Persistence and the Project facade the front-ends call."""

from shotcraft.projects.cast import ReferenceAdded, ReferenceRefused, finding
from shotcraft.projects.draw.events import Interruption
from shotcraft.projects.export import export_options
from shotcraft.projects.importing import ImportReport
from shotcraft.projects.project import Project
from shotcraft.projects.takes import TakeView, Totals
from shotcraft.ranking.identity import ReferenceCheck

__all__ = [
    "ImportReport", "Interruption", "Project", "ReferenceAdded", "ReferenceCheck", "ReferenceRefused", "TakeView",
    "Totals", "export_options", "finding",
]
