-- pg_trgm lets the case-insensitive substring search (ILIKE '%term%') use a GIN index instead of
-- scanning every post.
create extension if not exists pg_trgm;

create table posts (
    id         bigint generated always as identity constraint posts_pkey primary key,
    title      text        not null,
    content    text        not null,
    published  boolean     not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    owner_id   bigint      not null
        constraint posts_owner_id_fkey references users (id) on delete cascade,
    -- Denormalised count of rows in votes for this post, kept exact by the triggers on votes
    -- (0003) in the same transaction, so a page of posts never aggregates the votes table.
    votes      integer     not null default 0,
    -- Lengths of API.md: title 1-300 characters after trimming, content 1-20,000 characters.
    constraint posts_title_length check (char_length(btrim(title)) between 1 and 300),
    constraint posts_content_length check (char_length(content) between 1 and 20000),
    constraint posts_votes_non_negative check (votes >= 0)
);

-- The feed: newest first, ties broken by id (API.md). Not partial: the feed also shows the
-- reader's own drafts, so the filter is `published or owner_id = $me`.
create index posts_feed_idx on posts (created_at desc, id desc);
-- "My posts", drafts included.
create index posts_owner_feed_idx on posts (owner_id, created_at desc, id desc);
-- Case-insensitive substring search on title or content.
create index posts_title_trgm_idx on posts using gin (title gin_trgm_ops);
create index posts_content_trgm_idx on posts using gin (content gin_trgm_ops);
