"""The one way the engines open a TensorFlow (``tf.compat.v1``) session.

Every network here runs its graph in a session made by :func:`open_session`, so the thread
count means the same everywhere and a change of policy is made once.
"""

from __future__ import annotations

from typing import Any


def open_session(tf: Any, graph: Any, threads: int = 0, *,
                 graph_optimisation: bool = True) -> Any:
    """A ``tf.compat.v1.Session`` running ``graph``.

    Parameters
    ----------
    tf : module
        TensorFlow, imported by the caller (it is slow to import, and the entry points choose
        its environment first).
    graph : tf.Graph
    threads : int
        Threads within one op and across ops (0: TensorFlow's choice, all cores).
    graph_optimisation : bool
        False turns Grappler off: for a graph of constants, its passes cost more before the
        first run than they save.
    """
    tf1 = tf.compat.v1
    config = tf1.ConfigProto(intra_op_parallelism_threads=threads,
                             inter_op_parallelism_threads=threads)
    if not graph_optimisation:
        config.graph_options.rewrite_options.disable_meta_optimizer = True
    return tf1.Session(graph=graph, config=config)
