-- Issue 12: lists filtered by urgency, or by urgency and channel (紧急 cases from WeChat), come
-- from an index range in date order. Without it a rare pair (0.9% of the cases) was counted by
-- reading every case (0.3-1.1 s on 1,000,000). One index serves urgency alone and the pair;
-- channel alone is a large share of the cases, whose pages the date index serves.
CREATE INDEX cases_urgency_channel ON cases(urgency, channel, created_at);
