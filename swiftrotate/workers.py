"""A few worker threads over one shared queue of work, for upload and verify.

Owns: starting the threads, waiting for them, and what Ctrl-C does meanwhile.
Must not: know what the work is.
"""
import threading


def run_threads(name, count, work, stop, *, draining=None):
    """Run `work` in `count` (at least 1) daemon threads and wait for them.
    On Ctrl-C `stop` is set so no thread starts anything new. With
    `draining` (called once, e.g. to say so), the work under way is waited
    for before the KeyboardInterrupt goes on, so an upload ends cleanly with
    its segments removed on failure; a second Ctrl-C then leaves at once.
    Without it, the interrupt goes on at once."""
    threads = [threading.Thread(target=work, name=f"{name}-{n}", daemon=True) for n in range(max(1, count))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        stop.set()
        if draining is not None:
            draining()
            for t in threads:
                t.join()
        raise
