-- db::vote::cast with dir 1: POST /api/vote/ on a random post. One statement checks that the
-- voter exists in a live session (live_viewer; this floor has none: a null session) and may see
-- the post, then the insert (the counting trigger updates posts.votes)
-- runs only when both hold, as the server does. (The server reads the two checks as two columns,
-- to tell 401 from 404; pgbench's \gset takes them joined into one.)
\set id random(1, :max_post_id)
select live_viewer(:viewer, nullif(:session, '-')::uuid) is not null and
       exists(select 1 from posts where id = :id and (published or owner_id = :viewer))
    as allowed \gset
\if :allowed
insert into votes (user_id, post_id) values (:viewer, :id)
on conflict on constraint votes_pkey do nothing;
\endif
