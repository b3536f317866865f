"""Files shipped with the application: the icon, the desktop menu entry, sample photos.

A package only so that the files install with the code (package data); read them with
``importlib.resources.files("resources")``, e.g. ``colorize_app.gui.resource_path``.
"""
