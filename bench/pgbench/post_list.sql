-- db::post::list without a search term: GET /api/posts/ (and GET / with viewer 0, limit 11).
select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
       u.email as owner_email, u.created_at as owner_created_at,
       p.votes::bigint as "votes!",
       mine.user_id is not null as "has_voted!"
from posts p join users u on u.id = p.owner_id
    left join votes mine on mine.user_id = :viewer and mine.post_id = p.id
where p.published or p.owner_id = :viewer
order by p.created_at desc, p.id desc
limit :page_limit offset :page_skip;
