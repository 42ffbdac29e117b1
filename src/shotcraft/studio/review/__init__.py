"""The web review page (`shotcraft review DIR`): the storyboard, takes, compare and the cut,
on a laptop or a phone, over the Project facade."""

from shotcraft.studio.review.access import Access
from shotcraft.studio.review.app import make_app
from shotcraft.studio.review.serve import ReviewServer

__all__ = ["Access", "ReviewServer", "make_app"]
