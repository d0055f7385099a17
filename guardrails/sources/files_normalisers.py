"""The files source's normalising functions: GENERATED, do not edit.

Written by ``python -m guardrails.sources.files_normalise`` from the tables
of guardrails/sources/files_normalise.py (which uses a function only while
its text here is the text it would compile: see ``normaliser``), so that
Python's bytecode cache keeps them compiled.
"""
# mypy: ignore-errors
# ruff: noqa

SOURCES = {
    'changes': '06e615d2b78c505b',
    'ci_runs': 'e18433a4fd4aafe7',
    'deployments': '57cb19a36d914ece',
    'goals': '39c53829af028a26',
    'incidents': '1fc7ddb3af9800f8',
    'iterations': 'e473e2ed470fa22a',
    'postmortems': 'fa6a4b04b27ea3be',
    'services': '87da7b952c4d4c65',
    'survey_answers': 'c5f5207c37604c19',
    'teams': '47a7538037818bcd',
}


def changes(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'created_at' in record:
            v = record['created_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['created_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['created_at'] = dt.astimezone(UTC)
            else:
                record['created_at'] = when(v, 'created_at', TS, tz, table, i, ('created_at',))
        if 'first_commit_at' in record:
            v = record['first_commit_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['first_commit_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['first_commit_at'] = dt.astimezone(UTC)
            else:
                record['first_commit_at'] = when(v, 'first_commit_at', TS, tz, table, i, ('first_commit_at',))
        if 'merged_at' in record:
            v = record['merged_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['merged_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['merged_at'] = dt.astimezone(UTC)
            else:
                record['merged_at'] = when(v, 'merged_at', TS, tz, table, i, ('merged_at',))
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'additions' in record and type(record['additions']) is float:
            record['additions'] = int(record['additions'])
        if 'deletions' in record and type(record['deletions']) is float:
            record['deletions'] = int(record['deletions'])
        items = record.get('reviews')
        if items:
            for j, item in enumerate(items):
                if 'submitted_at' in item:
                    v = item['submitted_at']
                    dt = None
                    if type(v) is str:
                        try:
                            dt = fromiso(v)
                        except ValueError:
                            pass
                    if dt is not None and dt.tzinfo is UTC:
                        item['submitted_at'] = dt
                    elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                          and v[-6] in '+-' and v[-2] < '6'):
                        item['submitted_at'] = dt.astimezone(UTC)
                    else:
                        item['submitted_at'] = when(v, 'submitted_at', TS, tz, table, i, ('reviews', j, 'submitted_at',))
                if 'user' in item and type(item['user']) is not str:
                    item['user'] = ref(item['user'])
    return normalise


def ci_runs(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'started_at' in record:
            v = record['started_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['started_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['started_at'] = dt.astimezone(UTC)
            else:
                record['started_at'] = when(v, 'started_at', TS, tz, table, i, ('started_at',))
        if 'finished_at' in record:
            v = record['finished_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['finished_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['finished_at'] = dt.astimezone(UTC)
            else:
                record['finished_at'] = when(v, 'finished_at', TS, tz, table, i, ('finished_at',))
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'started_at' in record and 'finished_at' in record and record['finished_at'] < record['started_at']:
            contradiction(record, table, i, 'started_at', 'finished_at', 'finished before it started', KIND)
    return normalise


def deployments(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'finished_at' in record:
            v = record['finished_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['finished_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['finished_at'] = dt.astimezone(UTC)
            else:
                record['finished_at'] = when(v, 'finished_at', TS, tz, table, i, ('finished_at',))
        if 'started_at' in record:
            v = record['started_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['started_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['started_at'] = dt.astimezone(UTC)
            else:
                record['started_at'] = when(v, 'started_at', TS, tz, table, i, ('started_at',))
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'service' in record and type(record['service']) is not str:
            record['service'] = ref(record['service'])
        if 'remediates' in record and type(record['remediates']) is not str:
            record['remediates'] = ref(record['remediates'])
        if 'environment' not in record:
            record['environment'] = 'production'
        changes = record.get('changes')
        if changes:
            for j, change in enumerate(changes):
                if type(change) is not str:
                    changes[j] = ref(change)
        if 'started_at' in record and 'finished_at' in record and record['finished_at'] < record['started_at']:
            contradiction(record, table, i, 'started_at', 'finished_at', 'finished before it started', KIND)
    return normalise


def goals(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'team' in record and type(record['team']) is not str:
            record['team'] = ref(record['team'])
        items = record.get('key_results')
        if items:
            for j, item in enumerate(items):
                if 'due' in item:
                    item['due'] = when(item['due'], 'due', DATE, tz, table, i, ('key_results', j, 'due'))
    return normalise


def incidents(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'created_at' in record:
            v = record['created_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['created_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['created_at'] = dt.astimezone(UTC)
            else:
                record['created_at'] = when(v, 'created_at', TS, tz, table, i, ('created_at',))
        if 'resolved_at' in record:
            v = record['resolved_at']
            dt = None
            if type(v) is str:
                try:
                    dt = fromiso(v)
                except ValueError:
                    pass
            if dt is not None and dt.tzinfo is UTC:
                record['resolved_at'] = dt
            elif (dt is not None and dt.tzinfo is not None and 1 < dt.year < 9999
                  and v[-6] in '+-' and v[-2] < '6'):
                record['resolved_at'] = dt.astimezone(UTC)
            else:
                record['resolved_at'] = when(v, 'resolved_at', TS, tz, table, i, ('resolved_at',))
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'service' in record and type(record['service']) is not str:
            record['service'] = ref(record['service'])
        if 'caused_by' in record and type(record['caused_by']) is not str:
            record['caused_by'] = ref(record['caused_by'])
        if 'created_at' in record and 'resolved_at' in record and record['resolved_at'] < record['created_at']:
            contradiction(record, table, i, 'created_at', 'resolved_at', 'resolved before it was created', KIND)
    return normalise


def iterations(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'start' in record:
            record['start'] = when(record['start'], 'start', DATE, tz, table, i, ('start',))
        if 'end' in record:
            record['end'] = when(record['end'], 'end', DATE, tz, table, i, ('end',))
        if 'team' in record and type(record['team']) is not str:
            record['team'] = ref(record['team'])
        if 'start' in record and 'end' in record and record['end'] < record['start']:
            contradiction(record, table, i, 'start', 'end', 'ends before it starts', KIND)
    return normalise


def postmortems(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'published_at' in record:
            record['published_at'] = when(record['published_at'], 'published_at', DATE, tz, table, i, ('published_at',))
        if 'incident' in record and type(record['incident']) is not str:
            record['incident'] = ref(record['incident'])
        items = record.get('action_items')
        if items:
            for j, item in enumerate(items):
                if 'due' in item:
                    item['due'] = when(item['due'], 'due', DATE, tz, table, i, ('action_items', j, 'due'))
    return normalise


def services(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'owner' in record and type(record['owner']) is not str:
            record['owner'] = ref(record['owner'])
    return normalise


def survey_answers(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'date' in record:
            record['date'] = when(record['date'], 'date', DATE, tz, table, i, ('date',))
        if 'team' in record and type(record['team']) is not str:
            record['team'] = ref(record['team'])
    return normalise


def teams(tz, UTC, fromiso, when, ref, contradiction, TS, DATE, KIND):
    def normalise(record, table, i):
        if 'id' in record and type(record['id']) is not str:
            record['id'] = ref(record['id'])
        if 'parent' in record and type(record['parent']) is not str:
            record['parent'] = ref(record['parent'])
        items = record.get('members')
        if items:
            for j, item in enumerate(items):
                if 'handle' in item and type(item['handle']) is not str:
                    item['handle'] = ref(item['handle'])
    return normalise
