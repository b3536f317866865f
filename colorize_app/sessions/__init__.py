"""Qt-free documents, one per method, shared by the command line and the windows.

A session holds what a user works on in one method: the input photos (pixels and
:class:`~colorize_app.io.project_images.ImageRef`), the strokes or swatches, the model and
settings, and the result. Each module gives its session

- ``from_project(project, images)``: a saved :class:`~colorize_app.io.project.Project` (and its
  resolved images, role -> LoadedImage) read into a session; every check of a project's
  content happens here, once, and raises ``BadInputError`` with a one-line message;
- ``to_project()``: the session as a Project, ready for ``save_project``;
- the engine call (``colorize(progress=...)`` or the method's own name), which validates the
  settings and runs the pure engine from ``algorithms`` or ``deep_video_prior``.

``colorize METHOD --project FILE`` reads a project through the same ``from_project`` that the
window uses, so both accept and refuse the same files with the same words. The windows bind
their widgets to a session and their undo commands change it; nothing here imports PyQt5 or
a window module (``tests/test_import_graph.py`` checks it).
"""
