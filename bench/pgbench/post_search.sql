-- db::post::list with a search term: GET /api/posts/?search=... (pattern '%term%').
-- The search is the database function search_page (migrations/0007_create_search_page.sql).
select * from search_page(nullif(:viewer, 0), :pattern, :page_limit, :page_skip);
