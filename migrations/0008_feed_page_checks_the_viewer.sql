-- The feed page checks that its viewer is still a user, so that a read needs one statement.
--
-- GET /api/posts/ used to look the caller up first and then run feed_page: two statements per
-- request. Now the request checks only the token, and the function returns no rows for a viewer
-- who is not a user; the server looks the caller up only when a page comes back empty, to tell
-- a deleted user (401) from an empty page. search_page (0007) does the same. An anonymous reader
-- (a null viewer) sees published posts, as before.
create or replace function feed_page(viewer bigint, page_limit bigint, page_skip bigint)
returns table (
    id bigint,
    title text,
    content text,
    published boolean,
    created_at timestamptz,
    owner_id bigint,
    owner_email text,
    owner_created_at timestamptz,
    votes bigint,
    has_voted boolean
)
language plpgsql
stable
set plan_cache_mode = force_generic_plan
set max_parallel_workers_per_gather = 0
as $$
#variable_conflict use_column
begin
    if viewer is not null and not exists (select 1 from users u where u.id = viewer) then
        return;
    end if;

    return query
    select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
           u.email, u.created_at, p.votes::bigint, mine.user_id is not null
    from posts p
        join users u on u.id = p.owner_id
        left join votes mine on mine.user_id = viewer and mine.post_id = p.id
    where p.published or p.owner_id = viewer
    order by p.created_at desc, p.id desc
    limit page_limit offset page_skip;
end
$$;
