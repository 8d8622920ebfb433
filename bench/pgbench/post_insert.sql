-- db::post::insert: POST /api/posts/.
with p as (
    insert into posts (title, content, published, owner_id)
    values (:title, :content, true, :viewer)
    returning id, title, content, published, created_at, owner_id
)
select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
       u.email as owner_email, u.created_at as owner_created_at,
       0::bigint as "votes!", false as "has_voted!"
from p join users u on u.id = p.owner_id;
