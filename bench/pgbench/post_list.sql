-- db::post::list without a search term: GET /api/posts/ (and GET / with viewer 0, limit 11).
-- The feed query is the database function feed_page (migrations/0006 and 0008).
select * from feed_page(nullif(:viewer, 0), :page_limit, :page_skip);
