-- Search with the cursor (0014), and with a bound on what one search may cost.
--
-- A search looks for a substring, so no index answers every term. The trigram indexes (0007)
-- answer a term that holds three letters or digits in a row: the index yields the posts holding
-- all its trigrams. Two kinds of term escaped that, and at ten million posts each took seconds:
-- - A shorter term ('go', 'c#', 'x') has no trigram to look up: its search walked the feed until
--   the page was full, all of it for a term found in no post.
-- - A term whose trigrams are each common but rarely together ('the and', 'kernel shell'): the
--   index yields millions of candidates, each read and checked (6 s and 2.3 s measured).
--
-- So the search has two ways, chosen by `exact`:
-- - exact: the newest `window_size` posts after the cursor first, as before (a common term fills
--   its page there, in the feed's order); when they do not hold the page, the trigram indexes,
--   over the whole table, with a plan made for the term at hand (0008).
-- - not exact: the newest `short_scope` posts of the feed only (after the cursor, when there is
--   one), walked newest first: a bounded cost at any size. An older post is not found this way.
-- The server asks for the exact way for a term with three letters or digits in a row, within a
-- time budget of its own (a statement timeout); a shorter term, or one that ran past the budget,
-- is answered the bounded way, and the answer says so (docs/api.md, "Search"). So the first page
-- of a term found in the newest posts is what it always was, and a rare term is found wherever
-- it is.
--
-- The older search_page (0008) stays for instances of the previous release during a rolling
-- upgrade; a later migration drops it.
create function search_page(
    viewer bigint,
    pattern text,
    before_id bigint,
    page_limit bigint,
    page_skip bigint,
    exact boolean
)
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
declare
    -- ~17 matches for a term in 3.4 % of posts: a page of the UI (10, plus one to see if more).
    window_size constant bigint := 500;
    -- The bounded way: a walk of this many posts (~1-2 ms at any size; model::page).
    short_scope constant bigint := 2000;
    folded text := lower(pattern);
    place timestamptz := 'infinity';
    tie_break bigint := coalesce(before_id, 9223372036854775807);
    page_ids bigint[];
begin
    if viewer is not null and not exists (select 1 from users u where u.id = viewer) then
        return;
    end if;
    if before_id is not null then
        place := feed_position(before_id, viewer);
    end if;

    if not exact then
        select array_agg(w.id order by w.created_at desc, w.id desc) into page_ids
        from (
            select w.id, w.created_at
            from (
                select p.id, p.created_at, p.published, p.owner_id, p.title_lower,
                       p.content_lower
                from posts p
                order by p.created_at desc, p.id desc
                limit short_scope
            ) w
            where (w.published or w.owner_id = viewer)
              and (w.title_lower like folded or w.content_lower like folded)
              and w.created_at <= place and (w.created_at < place or w.id < tie_break)
            order by w.created_at desc, w.id desc
            limit page_limit offset page_skip
        ) w;
    else
        if page_skip < window_size then
            select array_agg(w.id order by w.created_at desc, w.id desc) into page_ids
            from (
                select w.id, w.created_at
                from (
                    select p.id, p.created_at, p.published, p.owner_id, p.title_lower,
                           p.content_lower
                    from posts p
                    where p.created_at <= place and (p.created_at < place or p.id < tie_break)
                    order by p.created_at desc, p.id desc
                    limit window_size
                ) w
                where (w.published or w.owner_id = viewer)
                  and (w.title_lower like folded or w.content_lower like folded)
                order by w.created_at desc, w.id desc
                limit page_limit offset page_skip
            ) w;
        end if;

        if coalesce(cardinality(page_ids), 0) < page_limit then
            execute
                'select array_agg(m.id order by m.created_at desc, m.id desc)
                 from (
                     select p.id, p.created_at
                     from posts p
                     where (p.published or p.owner_id = $1)
                       and (p.title_lower like $2 or p.content_lower like $2)
                       and p.created_at <= $3 and (p.created_at < $3 or p.id < $4)
                     order by p.created_at desc, p.id desc
                     limit $5 offset $6
                 ) m'
                into page_ids
                using viewer, folded, place, tie_break, page_limit, page_skip;
        end if;
    end if;

    return query
    select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
           u.email, u.created_at, p.votes::bigint, mine.user_id is not null
    from unnest(page_ids) with ordinality as page (id, position)
        join posts p on p.id = page.id
        join users u on u.id = p.owner_id
        left join votes mine on mine.user_id = viewer and mine.post_id = p.id
    order by page.position;
end
$$;
