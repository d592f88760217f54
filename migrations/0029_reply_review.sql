-- 0029: 办结审核 (issue 13, the centre's controls). Which replies the centre reviews before the
-- citizen gets them: one rule per category (its subtree: the nearest rule up the tree decides)
-- and the default for every category as category 0. No rule at all: no review. A reply under
-- review leaves the case in state 'reviewing' until a dispatcher or supervisor accepts it or
-- sends it back (case actions accept / send_back).
CREATE TABLE reply_review_rules (
    category_id INTEGER NOT NULL,
    review      INTEGER NOT NULL CHECK (review IN (0, 1)),
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES users(id),
    PRIMARY KEY (category_id)
);
