from tasks.probe import record


def noop():
    return None


def probe(ref):
    record(ref)
