-- 0027: 有效回访 (issue 13). A callback may be asked to be left out of the assessment with a
-- reason (不合理诉求, 重复, 非本辖区, 联系不上: the invalidate action); the reason waits on the
-- evaluation until a supervisor decides. Approved, valid becomes 0 and the assessment and its
-- roll-ups leave the callback out; denied, the reason is cleared.
ALTER TABLE case_evaluations ADD COLUMN invalid_reason TEXT
    CHECK (invalid_reason IS NULL OR invalid_reason IN ('unreasonable', 'duplicate', 'out_of_area', 'unreachable'));
