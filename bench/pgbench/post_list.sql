-- db::post::list without a search term: GET /api/posts/ (and GET / with viewer 0, limit 11).
-- The feed query is the database function feed_page (migrations/0006_create_feed_page.sql).
select * from feed_page(:viewer, :page_limit, :page_skip);
