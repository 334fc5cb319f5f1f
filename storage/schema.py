"""The schema of the whole product: one text per migration, in the order they run.

Rule: these texts are history. Once released one never changes; a later change to the schema is a
new text here and a new migration in `storage/migrations.py`. Every query the repository runs is
served by an index here (a test checks the query plans), and every table is STRICT so a wrong type
fails at the write.

Times are ISO-8601 UTC text of fixed width, so comparing the text compares the times.
"""

from __future__ import annotations

INITIAL = """
CREATE TABLE people (
    user_id      INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL,
    organisation TEXT,
    language     TEXT,
    reachable    INTEGER NOT NULL DEFAULT 0 CHECK (reachable IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE TABLE cohorts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    invite_code TEXT NOT NULL UNIQUE,
    created_by  INTEGER NOT NULL REFERENCES people (user_id),
    created_at  TEXT NOT NULL,
    archived_at TEXT
) STRICT;
CREATE INDEX cohorts_by_creator ON cohorts (created_by);

CREATE TABLE memberships (
    cohort_id INTEGER NOT NULL REFERENCES cohorts (id),
    user_id   INTEGER NOT NULL REFERENCES people (user_id),
    role      TEXT NOT NULL CHECK (role IN ('facilitator', 'participant')),
    joined_at TEXT NOT NULL,
    PRIMARY KEY (cohort_id, user_id, role)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_by_person ON memberships (user_id);
CREATE INDEX memberships_by_role ON memberships (cohort_id, role, user_id);

CREATE TABLE chats (
    chat_id   INTEGER PRIMARY KEY,
    cohort_id INTEGER REFERENCES cohorts (id),
    title     TEXT,
    kind      TEXT NOT NULL CHECK (kind IN ('private', 'group', 'supergroup')),
    bound_at  TEXT NOT NULL
) STRICT;
CREATE INDEX chats_by_cohort ON chats (cohort_id) WHERE cohort_id IS NOT NULL;

CREATE TABLE flows (
    flow_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    source_hash   TEXT NOT NULL,
    title         TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (flow_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE rounds (
    id           INTEGER PRIMARY KEY,
    cohort_id    INTEGER NOT NULL REFERENCES cohorts (id),
    flow_id      TEXT NOT NULL,
    flow_version INTEGER NOT NULL,
    anonymous    INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_by    INTEGER NOT NULL REFERENCES people (user_id),
    opened_at    TEXT NOT NULL,
    deadline     TEXT,
    closed_at    TEXT,
    FOREIGN KEY (flow_id, flow_version) REFERENCES flows (flow_id, version)
) STRICT;
CREATE INDEX rounds_by_cohort ON rounds (cohort_id, status, opened_at);
CREATE INDEX rounds_by_flow ON rounds (flow_id, flow_version);
CREATE INDEX rounds_open_by_deadline ON rounds (deadline) WHERE status = 'open';

-- A response holds the answers. In an anonymous round it never names the person, and its id is
-- random so that its rank cannot be matched with the rank of a session.
CREATE TABLE responses (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES rounds (id),
    user_id      INTEGER REFERENCES people (user_id),
    submitted_at TEXT
) STRICT;
CREATE INDEX responses_by_round ON responses (round_id);
CREATE INDEX responses_by_person ON responses (user_id) WHERE user_id IS NOT NULL;

-- A session is one person in one round. `response_id` links it to its answers only while it is
-- active in an anonymous round: resuming needs the link, nothing after does.
CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY,
    round_id          INTEGER NOT NULL REFERENCES rounds (id),
    user_id           INTEGER NOT NULL REFERENCES people (user_id),
    response_id       INTEGER REFERENCES responses (id),
    status            TEXT NOT NULL
                      CHECK (status IN ('active', 'submitted', 'cancelled', 'timed_out')),
    state_json        TEXT NOT NULL,
    flow_version      INTEGER NOT NULL,
    prompt_message_id INTEGER,
    started_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    finished_at       TEXT,
    UNIQUE (round_id, user_id)
) STRICT;
CREATE INDEX sessions_by_person ON sessions (user_id, status);
CREATE INDEX sessions_by_response ON sessions (response_id) WHERE response_id IS NOT NULL;
CREATE INDEX sessions_by_round_status ON sessions (round_id, status);

CREATE TABLE answers (
    id          INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES responses (id),
    step_id     TEXT NOT NULL,
    value_json  TEXT NOT NULL,
    detail      TEXT,
    answered_at TEXT NOT NULL,
    retracted   INTEGER NOT NULL DEFAULT 0 CHECK (retracted IN (0, 1))
) STRICT;
-- At most one live answer per step: a re-answer retracts the old one in the same transaction.
CREATE UNIQUE INDEX answers_live ON answers (response_id, step_id) WHERE retracted = 0;
CREATE INDEX answers_by_response ON answers (response_id, step_id);
CREATE INDEX answers_by_time ON answers (answered_at);

-- Completion is known apart from the (possibly anonymous) answers, so reminders still work.
CREATE TABLE completions (
    round_id     INTEGER NOT NULL REFERENCES rounds (id),
    user_id      INTEGER NOT NULL REFERENCES people (user_id),
    status       TEXT NOT NULL CHECK (status IN ('submitted', 'cancelled', 'timed_out')),
    completed_at TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX completions_by_person ON completions (user_id, completed_at);
CREATE INDEX completions_by_time ON completions (completed_at);

CREATE TABLE swot_items (
    id          INTEGER PRIMARY KEY,
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    user_id     INTEGER REFERENCES people (user_id),
    quadrant    TEXT NOT NULL
                CHECK (quadrant IN ('strengths', 'weaknesses', 'opportunities', 'threats')),
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    merged_into INTEGER REFERENCES swot_items (id),
    hidden      INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1))
) STRICT;
CREATE INDEX swot_items_by_round ON swot_items (round_id, quadrant);
CREATE INDEX swot_items_by_person ON swot_items (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX swot_items_by_merge ON swot_items (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE votes (
    item_id INTEGER NOT NULL REFERENCES swot_items (id),
    user_id INTEGER NOT NULL REFERENCES people (user_id),
    dots    INTEGER NOT NULL CHECK (dots > 0),
    cast_at TEXT NOT NULL,
    PRIMARY KEY (item_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX votes_by_person ON votes (user_id);

CREATE TABLE actions (
    id            INTEGER PRIMARY KEY,
    cohort_id     INTEGER NOT NULL REFERENCES cohorts (id),
    round_id      INTEGER REFERENCES rounds (id),
    title         TEXT NOT NULL,
    owner_user_id INTEGER REFERENCES people (user_id),
    due_date      TEXT,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX actions_by_cohort ON actions (cohort_id, status, due_date);
CREATE INDEX actions_by_owner ON actions (owner_user_id, status)
    WHERE owner_user_id IS NOT NULL;
CREATE INDEX actions_by_round ON actions (round_id) WHERE round_id IS NOT NULL;
CREATE INDEX actions_due ON actions (due_date) WHERE status = 'open';

-- chat_id has no foreign key: a reminder may target a private chat the bot never bound.
CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    round_id     INTEGER REFERENCES rounds (id),
    user_id      INTEGER REFERENCES people (user_id),
    chat_id      INTEGER,
    due_at       TEXT NOT NULL,
    sent_at      TEXT,
    payload_json TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX reminders_pending ON reminders (due_at) WHERE sent_at IS NULL;
CREATE INDEX reminders_by_round ON reminders (round_id) WHERE round_id IS NOT NULL;
CREATE INDEX reminders_by_person ON reminders (user_id) WHERE user_id IS NOT NULL;

-- Telegram re-delivers every update it did not see confirmed; a known id is not applied twice.
CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at TEXT NOT NULL
) STRICT;
CREATE INDEX processed_updates_by_time ON processed_updates (processed_at);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor_user_id INTEGER NOT NULL REFERENCES people (user_id),
    cohort_id     INTEGER REFERENCES cohorts (id),
    action        TEXT NOT NULL,
    detail_json   TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_cohort ON audit_log (cohort_id, at) WHERE cohort_id IS NOT NULL;
CREATE INDEX audit_by_actor ON audit_log (actor_user_id, at);
CREATE INDEX audit_by_time ON audit_log (at);
"""


# Shell-level dialogs (onboarding: language, name, organisation, consent) outlive a restart; the
# scheduler lists every open round, which the partial `rounds_open_by_deadline` index would serve
# only as a scan of the whole index.
DIALOGS = """
-- One dialog per person: the bot asks one thing at a time, and a new dialog replaces the old.
CREATE TABLE dialogs (
    user_id      INTEGER PRIMARY KEY REFERENCES people (user_id),
    kind         TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE INDEX rounds_by_status ON rounds (status, opened_at);
-- Forgetting a person asks whether they opened a round, and so does the foreign key check when
-- their row is deleted: without it, both would read every round.
CREATE INDEX rounds_by_opener ON rounds (opened_by);
"""

# The flow itself, as the validated model in JSON, so that a session started on a version the
# files no longer carry (a facilitator edited the flow and bumped its version) can finish on it.
FLOW_DEFINITIONS = """
ALTER TABLE flows ADD COLUMN definition_json TEXT;
"""

# An IANA zone name: deadlines and reminders read as the cohort's local time. Cohorts created
# before it existed are in Belgium, where the first workshops ran.
COHORT_TIMEZONE = """
ALTER TABLE cohorts ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Europe/Brussels';
"""

# What participants sent in an anonymous round waits here, one row per round, as a list that is
# re-shuffled at every write, until the round closes and it is written out as responses and
# answers (storage/anonymity.py). No column names a person, a session or a time.
ANONYMOUS_POOLS = """
CREATE TABLE pools (
    round_id      INTEGER PRIMARY KEY REFERENCES rounds (id),
    deposits_json TEXT NOT NULL
) STRICT;
"""

# Before the pools, an anonymous session wrote its answers as rows as it went, linked to it by
# its response while active: its state holds the same answers, which its submit now deposits.
UNLINK_ANONYMOUS_SESSIONS = """
PRAGMA defer_foreign_keys = ON;
DELETE FROM answers WHERE response_id IN (
    SELECT s.response_id FROM sessions s JOIN rounds r ON r.id = s.round_id
    WHERE r.anonymous = 1 AND s.response_id IS NOT NULL);
DELETE FROM responses WHERE id IN (
    SELECT s.response_id FROM sessions s JOIN rounds r ON r.id = s.round_id
    WHERE r.anonymous = 1 AND s.response_id IS NOT NULL);
UPDATE sessions SET response_id = NULL
WHERE response_id IS NOT NULL AND round_id IN (SELECT id FROM rounds WHERE anonymous = 1);
"""

# The group SWOT board of a round (flows/board.py): its phase and settings, one row per round. A
# cohort runs one board at a time: the partial unique index holds every board not in its results.
# The phases are those of `flows.board.PHASES`, spelled out here because this text is history.
# Its opener and opening time are the round's. `proposals_json` holds the pending grouping
# proposals, lists of item ids; `apart_json` the pairs of items the facilitator kept apart (never
# proposed again); `voter_count` how many voted, fixed at the close (an anonymous board's ballots
# are gone then). Items keep their author only while it may change them (see
# storage/anonymity.py); `total` is an item's dots once the vote is closed; `label` a group's
# name on its head item. An action may come from an item.
BOARDS = """
CREATE TABLE boards (
    round_id       INTEGER PRIMARY KEY REFERENCES rounds (id),
    cohort_id      INTEGER NOT NULL REFERENCES cohorts (id),
    phase          TEXT NOT NULL CHECK (phase IN
                   ('collecting', 'closed', 'revealed', 'grouping', 'voting', 'results')),
    anonymous      INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    budget         INTEGER NOT NULL CHECK (budget > 0),
    per_item       INTEGER NOT NULL CHECK (per_item > 0),
    contributors   INTEGER NOT NULL DEFAULT 0 CHECK (contributors >= 0),
    proposals_json TEXT NOT NULL DEFAULT '[]',
    apart_json     TEXT NOT NULL DEFAULT '[]',
    voter_count    INTEGER NOT NULL DEFAULT 0 CHECK (voter_count >= 0),
    chat_id        INTEGER,
    message_id     INTEGER,
    updated_at     TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX boards_running ON boards (cohort_id) WHERE phase != 'results';
CREATE INDEX boards_by_cohort ON boards (cohort_id, round_id);

ALTER TABLE swot_items ADD COLUMN label TEXT;
ALTER TABLE swot_items ADD COLUMN total INTEGER CHECK (total >= 0);
ALTER TABLE actions ADD COLUMN item_id INTEGER REFERENCES swot_items (id);
CREATE INDEX actions_by_item ON actions (item_id) WHERE item_id IS NOT NULL;
"""
