"""What the running program needs around the methods: where its folders are
(:mod:`~colorize_app.runtime.paths`), TensorFlow's start-up
(:mod:`~colorize_app.runtime.tf_startup`), and the system's memory and processes
(:mod:`~colorize_app.runtime.system`). Nothing here reads or writes the user's files.
"""
