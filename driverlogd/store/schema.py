"""The store's schema as numbered migrations; each runs once, in order, in
the same transaction as the row that records it."""

MIGRATIONS = (
    (1, "initial: comments, merges, drivers, votes, verdicts, position", """
CREATE TABLE position (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    created_on INTEGER NOT NULL            -- newest eventCreatedOn durably applied
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Raw CI reports, kept so a catalog change can re-derive votes from them.
-- digest (of the message) instead of the time in the key: stream and query
-- stamp the same comment a second apart; the later stamp is kept.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    project TEXT NOT NULL,
    change INTEGER NOT NULL,
    patchset INTEGER NOT NULL,             -- N of `Patch Set N:`
    author TEXT NOT NULL,
    digest TEXT NOT NULL,
    branch TEXT NOT NULL,
    url TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    message TEXT NOT NULL,
    UNIQUE (project, change, patchset, author, digest)
);
CREATE INDEX comments_by_account ON comments (author, project);
-- patchset: from change-merged; hint: newest patch set commented on while
-- the change was already MERGED (used until change-merged is seen).
CREATE TABLE merges (
    project TEXT NOT NULL,
    change INTEGER NOT NULL,
    patchset INTEGER,
    hint INTEGER,
    PRIMARY KEY (project, change)
);
CREATE TABLE drivers (
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    name TEXT NOT NULL,
    signature TEXT,                        -- what its votes were derived with
    UNIQUE (project_id, vendor, name)
);
CREATE TABLE votes (
    driver_id INTEGER NOT NULL REFERENCES drivers (id),
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    release TEXT,                          -- NULL: branch is history only
    passed INTEGER NOT NULL,
    line TEXT NOT NULL,
    created_on INTEGER NOT NULL,           -- copy of the comment's, for ordering
    PRIMARY KEY (driver_id, comment_id)
);
CREATE INDEX votes_by_time ON votes (driver_id, created_on);
CREATE INDEX votes_by_release ON votes (driver_id, release, created_on);
CREATE INDEX votes_by_comment ON votes (comment_id);
CREATE TABLE verdicts (
    driver_id INTEGER NOT NULL REFERENCES drivers (id),
    release TEXT NOT NULL,
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    PRIMARY KEY (driver_id, release)
);
"""),
    (2, "merges say only what Gerrit said; questions to ask it; since when each CI is watched", """
-- The guessed patch set (hint) is gone: which patch set merged is what
-- change-merged or a whole query answer says, else unknown (NULL) until asked.
-- complete: Gerrit's whole answer on the change (every comment) was recorded.
CREATE TABLE merges_v2 (
    project TEXT NOT NULL,
    change INTEGER NOT NULL,
    patchset INTEGER,
    complete INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project, change)
);
INSERT INTO merges_v2 (project, change, patchset) SELECT project, change, patchset FROM merges;
-- Changes the daemon must ask Gerrit about, one row a change until answered.
CREATE TABLE questions (
    project TEXT NOT NULL,
    change INTEGER NOT NULL,
    reason TEXT NOT NULL,                 -- promotion.REASONS
    asked INTEGER NOT NULL,               -- when queued (epoch s)
    attempts INTEGER NOT NULL,
    due INTEGER NOT NULL,                 -- not before (retries back off)
    PRIMARY KEY (project, change)
);
-- Merges known only by a guess so far are asked about.
INSERT INTO questions SELECT project, change, 'merged-patchset', CAST(strftime('%s', 'now') AS INTEGER), 0, 0 FROM merges WHERE patchset IS NULL;
DROP TABLE merges;
ALTER TABLE merges_v2 RENAME TO merges;
-- Since when reports of a CI account on a repository are recorded: older
-- changes may hold reports the daemon never saw.
CREATE TABLE watching (
    author TEXT NOT NULL,
    project TEXT NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (author, project)
);
-- Verdicts are chosen again by the new rule when the recorder starts: the
-- releases signature changed with this version too.
DELETE FROM meta WHERE key = 'releases';
"""),
    (3, "reports by account and time (the try endpoint, the diagnosis) and by age (retention)", """
-- An account's newest reports, on one repository or on all: read newest
-- first and stopped at a bound, never sorted whole. (author, project) reads
-- of rederive use the first index's prefix, so the old index goes.
CREATE INDEX comments_by_account_time ON comments (author, project, created_on);
CREATE INDEX comments_by_author_time ON comments (author, created_on);
DROP INDEX comments_by_account;
-- Retention walks the oldest reports first. Deleting a report checks that no
-- verdict names it (the foreign key): without this, a scan of every verdict
-- per report deleted.
CREATE INDEX comments_by_age ON comments (created_on, id);
CREATE INDEX verdicts_by_comment ON verdicts (comment_id);
"""),
    (4, "votes, verdicts, merges and questions kept in their primary key's order (WITHOUT ROWID)", """
-- A CI report writes a vote for each driver it names, a merge row and a
-- question, a merge its verdicts: each was a table with a rowid plus its
-- key's index. Without the rowid one B-tree a row goes. Votes are keyed comment first, which the
-- votes_by_comment index was for (replaying a report, pairs on a change,
-- retention's foreign-key check); reads by driver use the two other indexes.
CREATE TABLE votes_v4 (
    driver_id INTEGER NOT NULL REFERENCES drivers (id),
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    release TEXT,
    passed INTEGER NOT NULL,
    line TEXT NOT NULL,
    created_on INTEGER NOT NULL,
    PRIMARY KEY (comment_id, driver_id)
) WITHOUT ROWID;
INSERT INTO votes_v4 SELECT driver_id, comment_id, release, passed, line, created_on FROM votes;
DROP TABLE votes;
ALTER TABLE votes_v4 RENAME TO votes;
CREATE INDEX votes_by_time ON votes (driver_id, created_on);
CREATE INDEX votes_by_release ON votes (driver_id, release, created_on);
CREATE TABLE verdicts_v4 (
    driver_id INTEGER NOT NULL REFERENCES drivers (id),
    release TEXT NOT NULL,
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    PRIMARY KEY (driver_id, release)
) WITHOUT ROWID;
INSERT INTO verdicts_v4 SELECT driver_id, release, comment_id FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_v4 RENAME TO verdicts;
CREATE INDEX verdicts_by_comment ON verdicts (comment_id);
CREATE TABLE merges_v4 (
    project TEXT NOT NULL,
    change INTEGER NOT NULL,
    patchset INTEGER,
    complete INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project, change)
) WITHOUT ROWID;
INSERT INTO merges_v4 SELECT project, change, patchset, complete FROM merges;
DROP TABLE merges;
ALTER TABLE merges_v4 RENAME TO merges;
CREATE TABLE questions_v4 (
    project TEXT NOT NULL,
    change INTEGER NOT NULL,
    reason TEXT NOT NULL,
    asked INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    due INTEGER NOT NULL,
    PRIMARY KEY (project, change)
) WITHOUT ROWID;
INSERT INTO questions_v4 SELECT project, change, reason, asked, attempts, due FROM questions;
DROP TABLE questions;
ALTER TABLE questions_v4 RENAME TO questions;
"""),
    (5, "two indexes fewer for each CI report to write", """
-- Every CI report wrote its row into five B-trees and each vote into three.
-- An account's newest reports over all its repositories are now merged from
-- each repository's (comments_by_account_time); a verdict's re-check after a
-- catalog change reads the driver's votes by time (votes_by_time). Both are
-- rare reads: the stream writes for every report.
DROP INDEX comments_by_author_time;
DROP INDEX votes_by_release;
"""),
    (6, "questions by when they are due", """
-- The asker reads the due questions, oldest first, and the next due time at
-- every look: a scan and a sort of every waiting question each time (2.5 ms
-- at 7,000, and an outage can queue far more).
CREATE INDEX questions_by_due ON questions (due, asked);
"""),
)
