-- db::post::find: GET /api/posts/{id} (and GET /posts/{id} with viewer 0), random ids. The
-- viewer's check is live_viewer (migrations/0009): the user exists and the session is live.
\set id random(1, :max_post_id)
select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
       u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
       u.created_at as owner_created_at,
       p.votes::bigint as "votes!",
       mine.user_id is not null as "has_voted!"
from posts p join users u on u.id = p.owner_id
    left join votes mine on mine.user_id = nullif(:viewer, 0) and mine.post_id = p.id
where p.id = :id and (p.published or p.owner_id = nullif(:viewer, 0))
  and (nullif(:viewer, 0)::bigint is null
       or live_viewer(nullif(:viewer, 0), nullif(:session, '-')::uuid) is not null);
