-- db::vote::cast with dir 1: POST /api/vote/ on a random post. The visibility check, then the
-- insert (the counting trigger updates posts.votes) only when the post is visible, as the server
-- does. (The column is aliased `visible` rather than "visible!" for pgbench's \gset.)
\set id random(1, :max_post_id)
select exists(select 1 from posts where id = :id and (published or owner_id = :viewer))
    as visible \gset
\if :visible
insert into votes (user_id, post_id) values (:viewer, :id)
on conflict on constraint votes_pkey do nothing;
\endif
