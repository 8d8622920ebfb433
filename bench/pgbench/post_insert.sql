-- db::post::insert: POST /api/posts/, with the writer's check (live_viewer, migrations/0009).
with p as (
    insert into posts (title, content, published, owner_id)
    select :title, :content, true, :viewer
    where live_viewer(:viewer, nullif(:session, '-')::uuid) is not null
    returning id, title, content, published, created_at, owner_id
)
select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
       u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
       u.created_at as owner_created_at,
       0::bigint as "votes!", false as "has_voted!"
from p join users u on u.id = p.owner_id;
