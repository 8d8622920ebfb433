-- db::post::list with a search term: GET /api/posts/?search=... (pattern '%term%').
-- The search is the database function search_page (migrations/0007 and 0008); the statement
-- around it checks the viewer's session and looks up each owner's display name.
select f.*, (select coalesce(u.name, 'user#' || u.id) from users u where u.id = f.owner_id)
from search_page(nullif(:viewer, 0), :pattern, :page_limit, :page_skip) f
where nullif(:viewer, 0)::bigint is null
   or live_viewer(nullif(:viewer, 0), nullif(:session, '-')::uuid) is not null;
