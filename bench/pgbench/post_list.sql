-- db::post::list without a search term: GET /api/posts/ (and GET / with viewer 0, limit 11).
-- The feed query is the database function feed_page (migrations/0006 and 0008); the statement
-- around it checks the viewer's session and looks up each owner's display name.
select f.*, (select coalesce(u.name, 'user#' || u.id) from users u where u.id = f.owner_id)
from feed_page(nullif(:viewer, 0), :page_limit, :page_skip) f
where nullif(:viewer, 0)::bigint is null
   or live_viewer(nullif(:viewer, 0), nullif(:session, '-')::uuid) is not null;
