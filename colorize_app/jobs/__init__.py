"""The video run, with no Qt and no printing: per-frame colour, refinement, writing and
resume (:mod:`~colorize_app.jobs.video_job`) over lazy frame sequences that are never held in
memory whole (:mod:`~colorize_app.jobs.video_frames`). The video session builds it; the
command line and the window only start it and show its progress.
"""
