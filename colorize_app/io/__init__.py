"""Every file the studio reads or writes, and nothing else: the only package that opens the
user's files.

- :mod:`~colorize_app.io.safe_files`: checks before reading (no FIFOs, devices, ``/proc``),
  atomic writes, and the clean-up of a dead process's temporaries. Every writer below uses it.
- :mod:`~colorize_app.io.media`: image files (8/16-bit, EXIF, TIFF via
  :mod:`~colorize_app.io.tiff`); :mod:`~colorize_app.io.text_files`: swatch-region files and
  name lists.
- :mod:`~colorize_app.io.video_in` / :mod:`~colorize_app.io.video_out`: frames streamed from
  and to video files (ffmpeg) and folders of frames.
- :mod:`~colorize_app.io.project` and :mod:`~colorize_app.io.project_images`: project files
  (``.colorize``) and the input images they name.
- :mod:`~colorize_app.io.batch_files` and :mod:`~colorize_app.io.batch_paths`: a batch job's
  inputs, manifest and output paths.
- :mod:`~colorize_app.io.model_registry`: named models (shipped, installed, downloaded with
  resume and checksum); :mod:`~colorize_app.io.model_files` (with the restricted unpickler
  :mod:`~colorize_app.io.torch_pickle`) and :mod:`~colorize_app.io.model_writer`: reading and
  writing model files.
- :mod:`~colorize_app.io.shot_checkpoints`: a video refinement's finished shots.

Every problem a user can cause is a one-line :class:`~algorithms.errors.ColorizeError`.
"""
